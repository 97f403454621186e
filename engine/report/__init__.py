"""A finished (or stopped) run's report: Markdown, a CSV leaderboard and a PGR-over-time PNG.

`write_report(run_dir)` reads the run's store, reproduces the top submissions over seeds in
fresh sandboxes (the rule for a result: one lucky seed is not a method) and ranks them by
their reproduced private mean, then writes `report.md`, `leaderboard.csv` and `pgr.png`
into `run_dir/report/`.
The report is the supervisor's: it shows private scores, revealed or not.
"""

from __future__ import annotations

from engine.report.build import ReportFiles, write_report

__all__ = ["ReportFiles", "write_report"]
