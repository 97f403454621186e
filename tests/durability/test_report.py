"""`aar report` on a finished run: the Markdown, the CSV leaderboard and the PGR plot."""

from __future__ import annotations

import csv
import sqlite3
import subprocess

import pytest

from tests.durability.conftest import AAR

pytestmark = pytest.mark.slow


def test_report_writes_markdown_csv_and_plot_with_the_five_seed_ranking(
    finished_run, tmp_path, aar_env
):
    out = tmp_path / "report"
    done = subprocess.run(
        [*AAR, "report", str(finished_run), "--top", "2", "--out", str(out)],
        capture_output=True,
        text=True,
        env=aar_env,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    md = (out / "report.md").read_text()
    for section in (
        "## Baselines",
        "## Final ranking",
        "## Leaderboard",
        "## What the forum found",
        "## Flags and voided submissions",
        "## Spend",
    ):
        assert section in md, section
    assert "reproduced in fresh sandboxes over seeds" in md and "mean private PGR" in md
    # The report says what a seed redraws: the data side too, not only the initialisation.
    assert "redraws the initialisation, the data order" in md
    db = sqlite3.connect(finished_run / "store.sqlite")
    isolation = {v for (v,) in db.execute("SELECT value FROM meta WHERE key LIKE 'isolation:%'")}
    assert isolation, "the run recorded its sandboxes' isolation"
    if "not isolated" in isolation:
        assert "WARNING: unisolated sandboxes" in md
    else:
        assert "every agent ran in an isolated sandbox" in md
    # Five seeds per reproduced recipe, kept in the store for the next report.
    reruns = db.execute("SELECT recipe, COUNT(*) FROM reproduced_seeds GROUP BY recipe").fetchall()
    assert 1 <= len(reruns) <= 2 and all(n == 5 for _, n in reruns)
    # The CSV has every scored submission with public and private figures and the gap.
    rows = list(csv.DictReader((out / "leaderboard.csv").open()))
    scored = db.execute("SELECT COUNT(*) FROM submissions WHERE scored = 1").fetchone()[0]
    assert len(rows) == scored >= 1
    top = rows[0]
    assert top["rank"] == "1" and top["private_pgr"] and top["gap"] != ""
    gap = float(top["public_pgr"]) - float(top["private_pgr"])
    assert abs(gap - float(top["gap"])) < 0.002
    assert sum(1 for r in rows if r["reproduced_seeds"] == "5") == len(reruns)
    assert (out / "pgr.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
