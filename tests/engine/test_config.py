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


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[agents]\ncount = true", "agents.count: True is not allowed"),
        ('[agents]\ncount = "2"', "agents.count: '2' is not allowed"),
        ("[agents]\ncount = 2.0", "agents.count: 2.0 is not allowed"),
        ("[sandbox]\ncpus = 1e-12", "sandbox.cpus: 1e-12 is not allowed: Input should be greater"),
        ("[sandbox]\ncpus = 1e300", "sandbox.cpus: 1e+300 is not allowed: Input should be less"),
        ("[sandbox]\ncpus = nan", "sandbox.cpus: nan is not allowed: Input should be a finite"),
        ("[sandbox]\npids = 1e20", "sandbox.pids: 1e+20 is not allowed"),
        ("[sandbox]\npids = 100000000000000000000", "sandbox.pids: 100000000000000000000 is not"),
        ("[sandbox]\nmemory_mb = 1e30", "sandbox.memory_mb: 1e+30 is not allowed"),
        ("[sandbox]\nnetwork = 1", "sandbox.network: 1 is not allowed"),
        (
            '[sandbox]\ndocker_hosts = ["ssh://gpu1:0"]',
            "'ssh://gpu1:0' is not allowed: Value error",
        ),
        ('[sandbox]\ndocker_hosts = ["ssh://gpu1:99999"]', "from 1 to 65535"),
        ("[budget]\nminutes = inf", "budget.minutes: inf is not allowed: Input should be a finite"),
        ("[budget]\ncost_usd = -inf", "budget.cost_usd: -inf is not allowed"),
        ("[budget]\nminutes = 1e30", "budget.minutes: 1e+30 is not allowed: Input should be less"),
        ("[scoring]\nsubmissions_per_hour = 1e30", "scoring.submissions_per_hour: 1e+30 is not"),
        ("seed = 100000000000000000000000", "seed: 100000000000000000000000 is not allowed"),
    ],
)
def test_a_field_is_strict_finite_and_within_what_a_machine_can_give(tmp_path, toml, expected):
    path = tmp_path / "run.toml"
    path.write_text(toml + "\n")
    with pytest.raises(ConfigError) as err:
        load(path)
    assert expected in str(err.value)


def test_a_minutes_flag_past_a_month_is_refused_with_the_bound():
    for minutes in (float("inf"), float("nan"), 1e309, 60.0 * 24 * 365):
        with pytest.raises(ConfigError, match=r"budget\.minutes"):
            load(None, {"budget": {"minutes": minutes}})
    assert load(None, {"budget": {"minutes": 30}}).budget.minutes == 30


def test_a_config_file_that_is_not_utf8_text_or_is_a_directory_is_one_line(tmp_path):
    binary = tmp_path / "run.toml"
    binary.write_bytes(b"\xff\xfe[agents]\ncount = 2\n")
    with pytest.raises(ConfigError, match=r"run\.toml is not UTF-8 text") as err:
        load(binary)
    assert "\n" not in str(err.value)
    with pytest.raises(ConfigError, match="is a directory") as err:
        load(tmp_path)
    assert "\n" not in str(err.value)
