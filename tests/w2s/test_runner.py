"""`python -m w2s`: the runner an agent calls in its sandbox, and the list of method fields."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from w2s.grader import grade
from w2s.methods import FIELDS
from w2s.prepare import Prepared


def _w2s(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "w2s", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).parents[2])},
    )


def _run_config(bundle: str | Path, *, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m w2s run` on `bundle` with `cfg.json` in `cwd`, writing `p.json` there."""
    return _w2s("run", "--bundle", str(bundle), "--config", "cfg.json", "--out", "p.json", cwd=cwd)


def test_run_writes_predictions_and_diagnostics_that_grade(
    prepared: Prepared, tmp_path: Path
) -> None:
    (tmp_path / "cfg.json").write_text(json.dumps({"loss": "logconf", "epochs": 1}))
    done = _run_config(prepared.bundle_dir, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    output = json.loads((tmp_path / "p.json").read_text())
    diagnostics = output["diagnostics"]
    assert diagnostics["config"]["loss"] == "logconf" and diagnostics["config"]["epochs"] == 1
    for key in ("train_loss_last_epoch", "agreement_with_weak_labels", "confidence_histogram"):
        assert key in diagnostics
    result = grade(prepared.hidden_dir, (tmp_path / "p.json").read_bytes())
    assert result.public.accuracy > prepared.baselines["weak"]["public"]


@pytest.mark.parametrize(
    ("config", "needle"),
    [
        ('{"loss": "hinge"}', "'loss' has value \"hinge\""),
        ('{"loss": ', "not valid JSON"),
        ('{"lr": 0}', "'lr'"),
        ("[1]", "JSON object"),
        (None, "does not exist"),
    ],
)
def test_bad_config_is_one_line_on_stderr_and_exit_2(
    prepared: Prepared, tmp_path: Path, config: str | None, needle: str
) -> None:
    if config is not None:
        (tmp_path / "cfg.json").write_text(config)
    done = _run_config(prepared.bundle_dir, cwd=tmp_path)
    assert done.returncode == 2
    assert needle in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "p.json").exists()


def test_bad_bundle_is_one_line_on_stderr_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "cfg.json").write_text("{}")
    done = _run_config("nowhere", cwd=tmp_path)
    assert done.returncode == 2
    assert "bundle directory nowhere does not exist" in done.stderr
    assert "Traceback" not in done.stderr


def test_methods_lists_every_field(tmp_path: Path) -> None:
    done = _w2s("methods", "--json", cwd=tmp_path)
    assert done.returncode == 0
    assert [row["name"] for row in json.loads(done.stdout)] == [f.name for f in FIELDS]
    plain = _w2s("methods", cwd=tmp_path)
    for f in FIELDS:
        assert f"{f.name} (" in plain.stdout


def test_methods_does_not_import_torch(tmp_path: Path) -> None:
    code = (
        "import sys, w2s.__main__ as m; m._print_methods(False); assert 'torch' not in sys.modules"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, done.stderr
