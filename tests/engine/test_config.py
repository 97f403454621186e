"""The run config: TOML and flags, and errors that name the field, the value and what is allowed."""

from __future__ import annotations

import pytest

from engine.config import load
from engine.errors import ConfigError


def test_defaults_are_the_toy_run():
    config = load()
    assert (config.task, config.agents.count, config.agents.brain) == ("toy", 3, "offline")
    assert config.sandbox.backend == "local" and config.scoring.submissions_per_hour == 60


def test_flags_override_the_toml_file(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text(
        '[agents]\ncount = 5\ndirections = ["logconf"]\n[sandbox]\nbackend = "docker"\n'
        'docker_hosts = ["ssh://gpu1"]\n[scoring]\nsubmissions_per_hour = 10\n'
    )
    config = load(path, {"agents": {"count": 2}})
    assert config.agents.count == 2 and config.agents.directions == ["logconf"]
    assert (
        config.sandbox.docker_hosts == ["ssh://gpu1"] and config.scoring.submissions_per_hour == 10
    )


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"agents": {"count": 0}}, "agents.count: 0 is not allowed"),
        (
            {"agents": {"brain": "gpt"}},
            "agents.brain: 'gpt' is not allowed: Input should be 'offline'",
        ),
        ({"sandbox": {"backend": "vm"}}, "sandbox.backend: 'vm' is not allowed"),
        ({"sandbox": {"docker_hosts": ["gpu1"]}}, "sandbox.docker_hosts.0: 'gpu1' is not allowed"),
        ({"scoring": {"probe_threshold": 2}}, "less than or equal to 0.5"),
        ({"scoring": {"step": 0.0225}}, "scoring.step: 0.0225 is not allowed: Value error, the"),
        ({"scoring": {"releases_per_day": 0}}, "scoring.releases_per_day: 0 is not allowed"),
        ({"agnets": 3}, "agnets: unknown field"),
    ],
)
def test_errors_name_field_value_and_what_is_allowed(overrides, expected):
    with pytest.raises(ConfigError) as err:
        load(None, overrides)
    assert expected in str(err.value)


def test_a_broken_toml_file_is_reported_by_name(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("agents = [")
    with pytest.raises(ConfigError, match=r"bad\.toml is not valid TOML"):
        load(path)
    with pytest.raises(ConfigError, match="does not exist"):
        load(tmp_path / "missing.toml")
