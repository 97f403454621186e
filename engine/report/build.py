"""Writing the report's three files: the Markdown, the CSV leaderboard and the plot."""

from __future__ import annotations

import csv
import json
import time
from dataclasses import dataclass
from pathlib import Path

from engine.report.data import RunData, SubmissionRow, load_run
from engine.report.plot import draw_pgr
from engine.report.reproduced import Reproduction, reproduce_top
from engine.reproduce import IRREPRODUCIBLE, REDRAWS
from engine.scoring import UNVERIFIED
from engine.texts import config_text, pgr_text

TOP = 3


@dataclass(frozen=True)
class ReportFiles:
    markdown: Path
    csv: Path
    plot: Path
    # Every reproduced submission, the final ranking's order (see engine.report.reproduced).
    reproduced: tuple[Reproduction, ...]


async def write_report(
    run_dir: Path,
    *,
    out_dir: Path | None = None,
    top: int = TOP,
    seeds: int | tuple[int, ...] | None = None,
) -> ReportFiles:
    data = await load_run(run_dir)
    reproduced = await reproduce_top(data, top=top, seeds=seeds)
    out = out_dir or run_dir / "report"
    out.mkdir(parents=True, exist_ok=True)
    by_sub = {r.submission.id: r for r in reproduced}
    csv_path = _write_csv(data, by_sub, out / "leaderboard.csv")
    plot = draw_pgr(data, out / "pgr.png")
    md = out / "report.md"
    md.write_text(_markdown(data, reproduced))
    return ReportFiles(md, csv_path, plot, tuple(reproduced))


def _f(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _method(text: str, limit: int = 90) -> str:
    try:
        config = json.loads(text)
    except ValueError:
        return text[:limit]
    if isinstance(config, dict):
        text = config_text(config)
    return text[:limit].replace("|", "/")


def _ranked(data: RunData) -> list[SubmissionRow]:
    ranks = {e.submission_id: e.rank for e in data.snapshot.leaderboard}
    # A scored submission that the Ladder released nothing for is listed too, unreleased.
    rows = [s for s in data.submissions if s.scored]
    return sorted(rows, key=lambda s: (ranks.get(s.id) is None, ranks.get(s.id) or 0, s.id))


def _write_csv(data: RunData, reproduced: dict[int, Reproduction], path: Path) -> Path:
    ranks = {e.submission_id: e for e in data.snapshot.leaderboard}
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "rank",
                "submission",
                "agent",
                "public_pgr",
                "public_accuracy",
                "private_pgr",
                "private_accuracy",
                "gap",
                "flags",
                "voided",
                "reproduction",
                "reproduced_public_pgr_mean",
                "reproduced_private_pgr_mean",
                "reproduced_private_pgr_sd",
                "reproduced_seeds",
                "method",
            ]
        )
        for s in _ranked(data):
            entry = ranks.get(s.id)
            r = reproduced.get(s.id)
            v = r.verdict if r else None
            w.writerow(
                [
                    entry.rank if entry and entry.rank else "",
                    s.id,
                    s.agent_id,
                    pgr_text(s.public.pgr if s.public else None, ""),
                    _f(s.public.accuracy if s.public else None),
                    pgr_text(s.private.pgr if s.private else None, ""),
                    _f(s.private.accuracy if s.private else None),
                    _f(s.gap),
                    " ".join(entry.flags if entry else s.flags),
                    int(s.voided),
                    v.reproduced.status if v else "",
                    pgr_text(v.reproduced.public_pgr_mean, "") if v else "",
                    pgr_text(v.private_pgr_mean, "") if v else "",
                    _f(v.private_pgr_sd) if v else "",
                    len(v.private) if v else "",
                    s.method,
                ]
            )
    return path


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts)) if ts else "?"


def _markdown(data: RunData, reproduced: list[Reproduction]) -> str:
    snap = data.snapshot
    run = snap.run
    lines = [f"# Run {run.name}", ""]
    lines += [
        f"- task: {run.task} ({run.task_id or '?'})",
        f"- state: {run.state.value}; started {_when(run.started_at)},"
        f" ended {_when(data.finished_at)}",
        f"- agents: {len(snap.agents)} ({run.brain} brain, {run.sandbox_backend} sandboxes)",
        f"- run directory: `{data.run_dir}`",
        "",
    ]
    lines += _isolation(data) + _baselines(data) + _final(data, reproduced) + _leaderboard(data)
    lines += _forum(data) + _flags(data) + _spend(data)
    lines += [
        "",
        "Files beside this report: `leaderboard.csv` (every scored submission),"
        " `pgr.png` (PGR over time).",
        "",
    ]
    return "\n".join(lines)


def _isolation(data: RunData) -> list[str]:
    if not data.isolation:
        return ["**Sandboxes:** isolation not recorded (a run from before it was kept).", ""]
    bare = sorted(a for a, ok in data.isolation.items() if not ok)
    if not bare:
        return ["**Sandboxes:** every agent ran in an isolated sandbox.", ""]
    return [
        f"**WARNING: unisolated sandboxes** ({', '.join(bare)}): these agents ran on local"
        " sandboxes without isolation and could read the host's files. Treat their results"
        " as unverified.",
        "",
    ]


def _baselines(data: RunData) -> list[str]:
    b = data.hidden_baselines
    if not b:
        base = data.snapshot.run.baselines
        if not base:
            return ["## Baselines", "", "Not recorded for this run.", ""]
        return [
            "## Baselines",
            "",
            f"Weak supervisor {_f(base.get('weak_public'))}, ceiling"
            f" {_f(base.get('ceiling_public'))} (accuracy, public half).",
            "",
        ]
    rows = ["## Baselines", "", "| model | public accuracy | private accuracy |", "|---|---|---|"]
    for name in ("weak", "ceiling"):
        part = b.get(name, {})
        rows.append(f"| {name} | {_f(part.get('public'))} | {_f(part.get('private'))} |")
    rows += [
        "",
        f"PGR is 0 at the weak supervisor and 1 at the ceiling ({b.get('seeds')} seeds).",
        "",
    ]
    return rows


def _final(data: RunData, reproduced: list[Reproduction]) -> list[str]:
    rows = ["## Final ranking", ""]
    listed = {r.submission.id for r in reproduced}
    hand_made = [
        s for s in data.submissions if UNVERIFIED in s.flags and s.scored and s.id not in listed
    ]
    if not reproduced and not hand_made:
        return [*rows, "No submission was reproduced (none carries a recipe).", ""]
    rows += [
        "The top submissions by public PGR were reproduced in fresh sandboxes over seeds,"
        " from their config or their workspace snapshot and command, and are ranked by the"
        " mean private PGR of the reproductions: the AAR rule for a result. One lucky seed"
        f" is not a method. A config's seed redraws {REDRAWS}; a command is given it as"
        " AAR_SEED. Claimed is the public PGR the submission scored; a submission"
        " whose reproduction failed or fell short of its claim is irreproducible and not"
        " ranked; one whose seeds all gave the same predictions is ranked after the rest.",
        "",
        "| rank | reproduced private PGR (mean ± sd) | reproduced public PGR (mean ± sd)"
        " | claimed public PGR | verdict | found by | submission | method |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rank = 0
    for r in reproduced:
        v = r.verdict
        rep = v.reproduced
        if r.ranked:
            rank += 1
        claimed = pgr_text(v.claimed.pgr if v.claimed else None, "")
        verdict = rep.status + (f" ({', '.join(rep.flags)})" if rep.flags else "")
        private, public = pgr_text(v.private_pgr_mean, ""), pgr_text(rep.public_pgr_mean, "")
        rows.append(
            f"| {rank if r.ranked else '-'} | {private} ± {_f(v.private_pgr_sd)}"
            f" | {public} ± {_f(rep.public_pgr_sd)} | {claimed} | {verdict}"
            f" | {r.submission.agent_id} | {r.submission.id} | {_recipe(r)} |"
        )
    for s in hand_made:
        claimed = pgr_text(s.public.pgr if s.public else None, "")
        rows.append(
            f"| - | | | {claimed} | {UNVERIFIED} (nothing reproduces it) | {s.agent_id}"
            f" | {s.id} | {_method(s.method)} |"
        )
    failures = [r for r in reproduced if r.verdict.reproduced.status == IRREPRODUCIBLE]
    if failures:
        rows += ["", "Why these did not reproduce:", ""]
        rows += [
            f"- submission {r.submission.id}: {r.verdict.reproduced.message}" for r in failures
        ]
    rows += ["", "Recipes of the reproduced submissions:", ""]
    for r in reproduced:
        rows += [
            f"- submission {r.submission.id} by {r.submission.agent_id}:",
            "",
            "   ```json",
            "   " + json.dumps(_shown(r.recipe), sort_keys=True),
            "   ```",
            "",
        ]
    return rows


def _recipe(r: Reproduction) -> str:
    if r.recipe.get("kind") == "config":
        return _method(json.dumps(r.recipe.get("config", {})))
    return _method(f"code: {r.recipe.get('command', '')}")


def _shown(recipe: dict) -> dict:
    """A recipe as the report shows it: a config, or a command and its snapshot's digest."""
    if recipe.get("kind") == "config":
        return recipe.get("config", {})
    return {k: recipe.get(k) for k in ("command", "output", "snapshot", "files")}


def _leaderboard(data: RunData) -> list[str]:
    ranks = {e.submission_id: e for e in data.snapshot.leaderboard}
    rows = [
        "## Leaderboard",
        "",
        "Every scored submission, ranked by public PGR; the private half was held back during"
        " the run. The gap is public minus private PGR: a large one is a method tuned to the"
        " leaderboard.",
        "",
        "| rank | sub | agent | public PGR | private PGR | gap | flags | method |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in _ranked(data)[:30]:
        e = ranks.get(s.id)
        flags = " ".join(e.flags if e else s.flags) + (" void" if s.voided else "")
        public = pgr_text(s.public.pgr if s.public else None, "")
        private = pgr_text(s.private.pgr if s.private else None, "")
        rows.append(
            f"| {e.rank if e and e.rank else '-'} | {s.id} | {s.agent_id} | {public} | {private}"
            f" | {_f(s.gap)} | {flags.strip()} | {_method(s.method)} |"
        )
    if not data.submissions:
        rows.append("| | | | | | | | no submissions |")
    return [*rows, ""]


def _forum(data: RunData) -> list[str]:
    rows = ["## What the forum found", ""]
    if not data.posts:
        return [*rows, "No results or insights were posted.", ""]
    for p in data.posts[-20:]:
        body = " ".join(p["body"].split())[:400]
        rows += [f"- **{p['kind']}** #{p['id']} by {p['author']}: {p['title']}", f"  {body}"]
    return [*rows, ""]


def _flags(data: RunData) -> list[str]:
    rows = ["## Flags and voided submissions", ""]
    flagged = [s for s in data.submissions if s.flags or s.voided]
    for s in flagged:
        what = ", ".join(s.flags) or "no flags"
        void = f"; voided: {s.void_reason}" if s.voided else ""
        rows.append(f"- submission {s.id} by {s.agent_id}: {what}{void}")
    for w in data.watch_flags:
        rows.append(f"- watch: {w['agent_id']} ({w['what']}) {w.get('detail', '')[:200]}")
    if len(rows) == 2:
        rows.append("None.")
    return [*rows, ""]


def _spend(data: RunData) -> list[str]:
    b = data.snapshot.budgets
    rows = [
        "## Spend",
        "",
        f"Run: {b.elapsed_minutes:.1f} minutes, {b.tokens_used:,} tokens, ${b.cost_used_usd:.2f},"
        f" {b.experiments_used} experiments, {b.submissions_used} submissions,"
        f" {b.gpu_hours_used:.2f} GPU-hours.",
        "",
        "| agent | state | steps | tokens | cost | experiments | submissions | best public PGR |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for a in data.snapshot.agents:
        c = a.counters
        best = pgr_text(a.best_public_pgr, "")
        rows.append(
            f"| {a.id} | {a.state.value} | {c.steps} | {c.tokens_in + c.tokens_out:,} |"
            f" ${c.cost_usd:.2f} | {c.experiments} | {c.submissions} | {best} |"
        )
    return [*rows, ""]
