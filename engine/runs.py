"""The runs on this machine as things a user manages: list them, remove them, prune old ones.

A run is a directory holding `store.sqlite` (by default under the user's data directory,
see `engine.config.default_runs_dir`). Listing reads each store read-only, so it never
takes a live run's lock or migrates anything; removing refuses a run whose engine is
alive, and takes the run's workspaces, snapshots and leftover sandboxes with it.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from engine.errors import EngineError

_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True)
class RunSummary:
    name: str
    path: Path
    task: str
    state: str  # running, finished, stopped (ended without finishing: resumable), unreadable
    agents: int
    best_private_pgr: float | None  # once the private scores are revealed
    started: float | None
    last_active: float
    size_bytes: int
    sandbox_backend: str = "local"


class _Found(TypedDict):
    """What a run's directory tells even when its store cannot be read."""

    name: str
    path: Path
    last_active: float
    size_bytes: int


def parse_age(text: str) -> float:
    """Seconds from '30d', '12h', '90m' or '2w'."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*", text or "")
    if not m:
        raise EngineError(
            f"age {text!r} is not allowed: give a number and a unit, m, h, d or w (e.g. 30d)"
        )
    return float(m.group(1)) * _UNITS[m.group(2)]


def _size(path: Path) -> int:
    total = 0
    for p in path.rglob("*"):
        try:
            if p.is_file() and not p.is_symlink():
                total += p.stat().st_size
        except OSError:
            continue
    return total


def _alive(run_dir: Path) -> bool:
    from engine.api.files import read_info

    info = read_info(run_dir)
    return info is not None and info.alive()


def summarise(run_dir: Path) -> RunSummary:
    store = run_dir / "store.sqlite"
    last_active = max(
        (p.stat().st_mtime for p in run_dir.glob("store.sqlite*") if p.exists()),
        default=run_dir.stat().st_mtime,
    )
    base: _Found = {
        "name": run_dir.name,
        "path": run_dir,
        "last_active": last_active,
        "size_bytes": _size(run_dir),
    }
    try:
        db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=2)
        try:
            row = db.execute("SELECT config FROM runs ORDER BY created LIMIT 1").fetchone()
            config = json.loads(row[0]) if row else {}
            agents = db.execute("SELECT COUNT(*) FROM events WHERE kind = 'agent_added'")
            states = db.execute(
                "SELECT ts, json_extract(payload, '$.state') FROM events"
                " WHERE kind = 'run_state' ORDER BY seq"
            ).fetchall()
            best = _best_private(db)
            n_agents = agents.fetchone()[0]
        finally:
            db.close()
    except (sqlite3.Error, ValueError) as exc:
        return RunSummary(
            task="?",
            state=f"unreadable ({exc})",
            agents=0,
            best_private_pgr=None,
            started=None,
            **base,
        )
    if _alive(run_dir):
        state = "running"
    elif states and states[-1][1] == "finished":
        state = "finished"
    else:
        state = "stopped"
    return RunSummary(
        task=config.get("task", "?"),
        state=state,
        agents=n_agents,
        best_private_pgr=best,
        started=states[0][0] if states else None,
        sandbox_backend=config.get("sandbox", {}).get("backend", "local"),
        **base,
    )


def _best_private(db: sqlite3.Connection) -> float | None:
    """The best private PGR a reveal published, voided submissions left out (None before)."""
    revealed: dict[int, float] = {}
    for (payload,) in db.execute("SELECT payload FROM events WHERE kind = 'private_revealed'"):
        for s in json.loads(payload).get("scores", []):
            pgr = s.get("private", {}).get("pgr")
            if pgr is not None:
                revealed[s["submission_id"]] = pgr
    for (payload,) in db.execute("SELECT payload FROM events WHERE kind = 'submission_voided'"):
        revealed.pop(json.loads(payload)["submission_id"], None)
    return max(revealed.values(), default=None)


def list_runs(runs_dir: Path) -> list[RunSummary]:
    """Every run in `runs_dir`, newest first."""
    if not runs_dir.is_dir():
        return []
    found = [summarise(p) for p in runs_dir.iterdir() if (p / "store.sqlite").is_file()]
    return sorted(found, key=lambda r: r.started or r.last_active, reverse=True)


def find_run(runs_dir: Path, name: str) -> Path:
    path = runs_dir / name
    if "/" in name or not (path / "store.sqlite").is_file():
        known = ", ".join(r.name for r in list_runs(runs_dir)[:10]) or "none"
        raise EngineError(f"there is no run {name!r} in {runs_dir} (runs: {known})")
    return path


def older_than(
    runs: list[RunSummary], seconds: float, now: float | None = None
) -> list[RunSummary]:
    """Runs not running whose last activity is older than `seconds`."""
    now = time.time() if now is None else now
    return [r for r in runs if r.state != "running" and now - r.last_active > seconds]


def remove_run(run: RunSummary) -> None:
    """Delete the run directory (store, workspaces, snapshots, labels) and its sandboxes."""
    if _alive(run.path):
        raise EngineError(f"run {run.name} is running: finish it first (aar ctl finish)")
    _remove_sandboxes(run)
    shutil.rmtree(run.path)


def _remove_sandboxes(run: RunSummary) -> None:
    import sandbox

    try:
        run_id = run.name
        db = sqlite3.connect(f"file:{run.path / 'store.sqlite'}?mode=ro", uri=True, timeout=2)
        try:
            row = db.execute("SELECT id FROM runs ORDER BY created LIMIT 1").fetchone()
            run_id = row[0] if row else run_id
        finally:
            db.close()
        match run.sandbox_backend:
            case "local" | "docker" as backend:
                asyncio.run(sandbox.remove_orphans(backend, run_id, set()))
    except Exception:  # no sandbox left, or the backend is gone: the files go all the same
        return
