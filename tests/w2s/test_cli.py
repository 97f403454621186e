"""`aar w2s ...`: baseline, prepare and grade as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from aar_tui.cli import cli
from w2s.prepare import Prepared
from w2s.tasks.toy_v2 import CONFIG

TEST_ROWS = CONFIG["test_rows"]  # of the toy task the fixture prepares


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_baseline_json_is_one_object_and_progress_goes_to_stderr(
    runner: CliRunner, cache_dir: Path
) -> None:
    result = runner.invoke(
        cli,
        [
            "w2s",
            "baseline",
            "--task",
            "toy",
            "--seeds",
            "1",
            "--json",
            "--cache-dir",
            str(cache_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["task"] == "toy-v2"
    assert set(report["transfer"]) == {"xent", "logconf", "product"}
    assert "baseline" in result.stderr


def test_baseline_table_shows_mean_and_standard_error(runner: CliRunner, cache_dir: Path) -> None:
    result = runner.invoke(cli, ["w2s", "baseline", "--seeds", "2", "--cache-dir", str(cache_dir)])
    assert result.exit_code == 0, result.output
    for row in ("weak", "ceiling", "xent", "logconf", "product"):
        assert row in result.stdout
    assert "±" in result.stdout


def test_prepare_then_grade(runner: CliRunner, tmp_path: Path, cache_dir: Path) -> None:
    out = tmp_path / "task"
    prepared = runner.invoke(
        cli,
        [
            "w2s",
            "prepare",
            "--task",
            "toy",
            "--out",
            str(out),
            "--seeds",
            "1",
            "--cache-dir",
            str(cache_dir),
            "--json",
        ],
    )
    assert prepared.exit_code == 0, prepared.output
    info = json.loads(prepared.stdout)
    assert Path(info["bundle"]).is_dir() and Path(info["hidden"]).is_dir()
    with np.load(out / "hidden" / "labels.npz") as data:
        (tmp_path / "p.json").write_text(json.dumps(data["test_y"].tolist()))
    graded = runner.invoke(
        cli, ["w2s", "grade", "--hidden", str(out / "hidden"), "--preds", str(tmp_path / "p.json")]
    )
    assert graded.exit_code == 0
    assert "public   accuracy 1.0000" in graded.stdout
    assert "private" not in graded.stdout


def test_grade_json_shows_private_only_when_asked(
    runner: CliRunner, prepared: Prepared, tmp_path: Path
) -> None:
    (tmp_path / "p.json").write_text(json.dumps([0] * TEST_ROWS))
    args = [
        "w2s",
        "grade",
        "--hidden",
        str(prepared.hidden_dir),
        "--preds",
        str(tmp_path / "p.json"),
        "--json",
    ]
    public = json.loads(runner.invoke(cli, args).stdout)
    assert "private" not in public and public["public"]["n"] == TEST_ROWS // 2
    both = json.loads(runner.invoke(cli, [*args, "--private"]).stdout)
    assert both["private"]["n"] == TEST_ROWS // 2


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("", "empty"),
        ("not json", "not valid JSON"),
        ("[0, 1]", f"expected {TEST_ROWS} predictions"),
        (json.dumps([2] * TEST_ROWS), "prediction 0 is 2"),
    ],
)
def test_grade_bad_predictions_is_a_clean_error(
    runner: CliRunner, prepared: Prepared, tmp_path: Path, content: str, needle: str
) -> None:
    (tmp_path / "p.json").write_text(content)
    result = runner.invoke(
        cli,
        ["w2s", "grade", "--hidden", str(prepared.hidden_dir), "--preds", str(tmp_path / "p.json")],
    )
    assert result.exit_code != 0
    assert needle in result.stderr
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_grade_missing_files_are_clean_errors(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text("[]")
    result = runner.invoke(
        cli, ["w2s", "grade", "--hidden", str(tmp_path / "no"), "--preds", str(tmp_path / "p.json")]
    )
    assert result.exit_code != 0 and "does not exist" in result.stderr
    result = runner.invoke(
        cli, ["w2s", "grade", "--hidden", str(tmp_path), "--preds", str(tmp_path / "none.json")]
    )
    assert result.exit_code != 0 and "cannot read predictions file" in result.stderr
    assert isinstance(result.exception, SystemExit)


def test_unknown_task_is_a_clean_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["w2s", "prepare", "--task", "nope", "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert "unknown task 'nope'" in result.stderr
    assert isinstance(result.exception, SystemExit)
