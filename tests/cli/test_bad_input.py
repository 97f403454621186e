"""Bad input on the command line gets one line that says what is wrong and a non-zero exit.

Each case runs `aar` as a user would, in its own process with its own data directory, and
fails on a traceback, a zero exit or a process that does not end by itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engine.conftest import prepared_toy  # noqa: F401

LONG = "r" * 5000


def aar(*args: str, cwd: Path, timeout: float = 120) -> tuple[int, str]:
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(cwd / "data"),
        "XDG_RUNTIME_DIR": str(cwd / "rt"),
        "AAR_CACHE_DIR": str(cwd / "cache"),
    }
    (cwd / "rt").mkdir(mode=0o700, exist_ok=True)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "aar_tui", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"aar {' '.join(args)[:200]} did not end: {exc.stdout}") from None
    return done.returncode, done.stdout + done.stderr


def assert_one_line_error(code: int, out: str, *expected: str) -> None:
    assert code != 0, out
    assert "Traceback" not in out, out[-3000:]
    # click puts its usage lines above the error; the error itself is the last line.
    last = out.strip().splitlines()[-1]
    assert last.lower().startswith("error"), out[-3000:]
    for text in expected:
        assert text in last, last


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "not-utf8.toml").write_bytes(b"\xff\xfe[agents]\ncount = 2\n")
    (tmp_path / "a-directory").mkdir()
    return tmp_path


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("run", "--headless", "--config", "not-utf8.toml"), ("not UTF-8",)),
        (("run", "--headless", "--config", "a-directory"), ("is a directory",)),
        (("serve", "--config", "not-utf8.toml"), ("not UTF-8",)),
        (("run", "--resume", LONG), ("--resume", "5000 characters", "too long")),
        (("serve", "--resume", LONG), ("--resume", "too long")),
        (("ctl", "--run", LONG, "status"), ("--run", "too long")),
        (("attach", LONG), ("too long",)),
        (("ctl", "--run", "http://127.0.0.1:99999", "status"), ("from 1 to 65535",)),
        (("ctl", "budget", "--cost-usd", "inf"), ("cost_usd", "finite")),
        (("ctl", "budget", "--minutes", "nan"), ("minutes", "finite")),
        (("ctl", "budget", "--submissions-per-hour", "1000000000"), ("submissions_per_hour",)),
        (("ctl", "void", "100000000000000000000", "typo"), ("submission_id",)),
        (("ctl", "pause", "a" * 100), ("agent_id", "64 characters")),
        (("run", "--headless", "--minutes", "1e309", "--agents", "1"), ("--minutes", "43200")),
        (("run", "--headless", "--minutes", "nan", "--agents", "1"), ("--minutes",)),
        (("run", "--headless", "--minutes", "50000", "--agents", "1"), ("30 days",)),
        (("serve", "--minutes", "inf"), ("--minutes",)),
        (
            ("run", "--headless", "--tokens-per-agent", "-5"),
            ("--tokens-per-agent", "or equal to 0"),
        ),
        (("run", "--headless", "--submissions-per-agent", "1.5"), ("--submissions-per-agent",)),
        (("serve", "--cost-usd", "inf"), ("--cost-usd", "finite")),
    ],
    ids=lambda v: " ".join(v)[:60] if isinstance(v, tuple) and len(v) > 1 else None,
)
def test_a_bad_flag_or_file_is_one_line_and_a_nonzero_exit(workdir, args, expected):
    code, out = aar(*args, cwd=workdir)
    assert_one_line_error(code, out, *expected)


def test_grading_predictions_nested_200000_deep_is_one_line(workdir, prepared_toy):  # noqa: F811
    deep = workdir / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    hidden = str(prepared_toy.hidden_dir)
    code, out = aar("w2s", "grade", "--hidden", hidden, "--preds", str(deep), cwd=workdir)
    assert_one_line_error(code, out, "nested too deeply")
