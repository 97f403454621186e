"""Tools of the research itself: run an experiment, look one up, submit, read the leaderboard."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from engine.cleanroom import DIAGNOSTICS_MAX, CleanRunFailed, predictions_cap
from engine.errors import ToolInputError
from engine.limits import EXPERIMENTS_PER_AGENT
from engine.scoring import digest_bytes
from engine.snapshots import normal_path
from engine.texts import pgr_text
from engine.tools.env import ToolEnv
from engine.tools.inputs import ExperimentLookup, Leaderboard, RunExperiment, Submit
from engine.tools.tool import ToolResult
from engine.verdicts import verdicts
from engine.view import ExperimentRecord
from sandbox.errors import SandboxError

EXPERIMENTS_DIR = "experiments"


def _paths(digest: str) -> tuple[str, str]:
    stem = f"{EXPERIMENTS_DIR}/{digest[:12]}"
    return f"{stem}.json", f"{stem}.preds.json"


def _describe(record: ExperimentRecord, config: dict[str, Any]) -> dict[str, Any]:
    public = record.public.model_dump() if record.public else None
    return {
        "digest": record.digest,
        "config": config,
        "diagnostics": record.diagnostics,
        "ran_by": record.agent_id,
        "public": public,
    }


def _text(kind: str, data: dict[str, Any]) -> str:
    return f"{kind}\n{json.dumps(data, indent=1, sort_keys=True, default=str)}"


async def run_experiment(env: ToolEnv, inp: RunExperiment) -> ToolResult:
    config, digest = env.normalise(dict(inp.config))
    cfg_path, preds_path = _paths(digest)
    existing = await env.registry.lookup(digest)
    if existing is not None:
        preds = await env.registry.predictions(existing.id)
        note = ""
        if preds:
            note = await _copy_out(env, {preds_path: preds})
            env.predictions_of[digest_bytes(preds)] = digest
        await env.registry.reused(existing, env.agent_id)
        data = _describe(existing, config) | {"predictions": preds_path, "reused": True}
        text = _text("already run; recorded result:", data) + note
        return ToolResult(ok=True, output=text, data=data)
    budget = env.config.limit(EXPERIMENTS_PER_AGENT)
    if budget is not None and env.experiments_done() >= budget:
        raise ToolInputError(f"experiment budget spent: {budget} per agent")
    eid = await env.registry.start(env.agent_id, digest, config)
    started = time.monotonic()
    finished = False
    try:
        try:
            output = await env.clean.run_config(
                env.agent_id, config, timeout=env.config.sandbox.experiment_timeout
            )
        except CleanRunFailed as exc:
            await env.registry.finish(
                eid,
                env.agent_id,
                digest,
                diagnostics={},
                predictions=None,
                duration=time.monotonic() - started,
                error=str(exc)[:2000],
            )
            finished = True
            return ToolResult(ok=False, output=str(exc), error=f"the experiment failed: {exc}")
        preds = output.to_bytes()
        await env.registry.finish(
            eid,
            env.agent_id,
            digest,
            diagnostics=output.diagnostics,
            predictions=preds,
            duration=time.monotonic() - started,
        )
        finished = True
    finally:
        if not finished:
            # Cut short (a hard pause, a stop): forget it, so the next ask runs it afresh.
            await asyncio.shield(env.registry.abandon(eid, digest))
    env.predictions_of[digest_bytes(preds)] = digest
    data = {
        "digest": digest,
        "config": config,
        "diagnostics": output.diagnostics,
        "predictions": preds_path,
        "reused": False,
        "seconds": round(time.monotonic() - started, 2),
    }
    copies = {cfg_path: json.dumps(config, indent=1).encode(), preds_path: preds}
    note = await _copy_out(env, copies)
    return ToolResult(ok=True, output=_text("experiment finished:", data) + note, data=data)


async def _copy_out(env: ToolEnv, files: dict[str, bytes]) -> str:
    """Copies of a recorded result for the agent to read; the registry's record is the one
    that counts, so a copy that cannot be written only earns a note."""
    for path, data in files.items():
        try:
            await env.sandbox.write_file(path, data)
        except SandboxError as exc:
            return f"\n(no copy in your workspace: {exc}; the registry keeps the result)"
    return ""


async def experiment_lookup(env: ToolEnv, inp: ExperimentLookup) -> ToolResult:
    config, digest = env.normalise(dict(inp.config))
    record = await env.registry.lookup(digest, wait=False)
    # What others are running now, so that a search does not propose it a second time.
    in_flight = [
        {"config": r.config, "by": r.agent_id}
        for r in await env.registry.running()
        if r.agent_id != env.agent_id
    ]
    data: dict[str, Any]
    if record is None:
        data = {"digest": digest, "config": config, "found": False, "in_flight": in_flight}
        text = f"not run yet (digest {digest}); {len(in_flight)} experiment(s) of others running"
    else:
        data = _describe(record, config) | {"found": True, "in_flight": in_flight}
        text = _text("recorded result:", data)
    if inp.scored_after is not None:
        scored = data["scored"] = await _verdicts(env, inp.scored_after)
        text += f"\n{len(scored)} scored submission(s) of others after #{inp.scored_after}"
        text += "".join(f"\n{_verdict_line(v)}" for v in scored)
    return ToolResult(ok=True, output=text, data=data)


VERDICTS_MAX = 200  # submissions listed in one lookup; ask again from the last one's id


async def _verdicts(env: ToolEnv, after: int) -> list[dict[str, Any]]:
    """Others' scored submissions of experiments after `after`, each with its config, its
    diagnostics and what the Ladder told its submitter (`released`, or nothing above `held`)."""
    out = []
    for v in await verdicts(env.scorer.store, after, env.agent_id, VERDICTS_MAX):
        record = await env.registry.lookup(v.experiment_digest, wait=False)
        if record is None:
            continue
        out.append(
            {
                "submission_id": v.submission_id,
                "by": v.agent_id,
                "config": record.config,
                # Label-free, as experiment_lookup gives them for the config itself.
                "diagnostics": record.diagnostics,
                "released": v.released.model_dump() if v.released else None,
                "held": v.held.model_dump() if v.held else None,
                "flags": list(v.flags),
            }
        )
    return out


def _verdict_line(v: dict[str, Any]) -> str:
    if v["released"] is not None:
        told = f"released PGR {pgr_text(v['released']['pgr'])}"
    elif v["held"] is not None:
        told = f"nothing released above its best, PGR {pgr_text(v['held']['pgr'])}"
    else:
        told = "nothing released"
    method = json.dumps(v["config"], sort_keys=True, separators=(",", ":"))
    return f"#{v['submission_id']} {v['by']}: {told} - {method[:160]}"


async def submit(env: ToolEnv, inp: Submit) -> ToolResult:
    cap = predictions_cap(env.clean.test_rows) + DIAGNOSTICS_MAX
    preds = await env.sandbox.read_file(inp.path, max_bytes=cap)
    experiment = env.predictions_of.get(digest_bytes(preds))
    method = inp.method
    record = await env.registry.lookup(experiment, wait=False) if experiment else None
    if record is not None and method == "unspecified":
        method = json.dumps(record.config, sort_keys=True, separators=(",", ":"))
    recipe = await _recipe(env, inp, record)
    outcome = await env.scorer.submit(
        env.agent_id,
        preds,
        method=method,
        experiment_digest=experiment,
        call_id=env.call_id,
        recipe=recipe,
    )
    data = {
        "submission_id": outcome.submission_id,
        # What the Ladder released (None: nothing new), and the best it released to you.
        "public": outcome.public.model_dump() if outcome.public else None,
        "best": outcome.best.model_dump() if outcome.best else None,
        "flags": list(outcome.flags),
        "scored": outcome.scored,
        "experiment": experiment,
        "reproduced_by": recipe["kind"] if recipe else None,
    }
    text = f"submission {outcome.submission_id}: {outcome.message}"
    if recipe is None:
        text += (
            "; unverified: nothing reproduces this file, so it never ranks first. Submit a"
            " file from run_experiment, or give `command` that writes it again from AAR_SEED"
        )
    return ToolResult(ok=True, output=text, data=data)


async def _recipe(
    env: ToolEnv, inp: Submit, record: ExperimentRecord | None
) -> dict[str, Any] | None:
    """What reproduces a submission: its experiment's config, or a snapshot and a command."""
    if record is not None:
        return {"kind": "config", "digest": record.digest, "config": record.config}
    if inp.command is None:
        return None
    output = normal_path(inp.path)
    if not output:
        raise ToolInputError(f"{inp.path} is not a file of your workspace; submit one there")
    snapshot = await env.snapshots.take(env.sandbox, output)
    digest = digest_bytes(f"{snapshot.digest}\0{inp.command}\0{output}".encode())
    return {
        "kind": "code",
        "digest": digest,
        "snapshot": snapshot.digest,
        "command": inp.command,
        "output": output,
        "files": snapshot.files,
    }


async def leaderboard(env: ToolEnv, inp: Leaderboard) -> ToolResult:
    entries = [e for e in env.leaderboard() if e.rank is not None][: inp.limit]
    rows = []
    lines = []
    for e in entries:
        lines.append(
            f"#{e.rank} {e.agent_id} sub {e.submission_id}: PGR {pgr_text(e.public.pgr)},"
            f" acc {e.public.accuracy:.3f} - {e.method[:160]}"
        )
        rows.append(
            {
                "rank": e.rank,
                "agent_id": e.agent_id,
                "submission_id": e.submission_id,
                "method": e.method,
                "pgr": e.public.pgr,
                "accuracy": e.public.accuracy,
            }
        )
    return ToolResult(
        ok=True, output="\n".join(lines) or "no scored submissions yet", data={"entries": rows}
    )
