"""One submission in full, as Markdown: its scores and flags, the method's config, the
experiment's diagnostics, how to reproduce it where the engine says, the forum post on it."""

from __future__ import annotations

import json
from typing import Any

from aar_tui.look import fmt_clock, fmt_pgr
from engine.events import ForumPost, Reproduced, Score
from engine.view import ExperimentRecord, LeaderboardEntry


def method_config(method: str) -> dict[str, Any] | None:
    """A submission's method as a config dict, when it is one (else it is code or words)."""
    try:
        config = json.loads(method)
    except ValueError:
        return None
    return config if isinstance(config, dict) else None


def _score(label: str, score: Score | None) -> str:
    if score is None:
        return f"{label}: —"
    return f"{label}: PGR **{fmt_pgr(score.pgr)}**, accuracy {score.accuracy:.3f} (n={score.n})"


def _block(value: Any) -> list[str]:
    text = value if isinstance(value, str) else json.dumps(value, indent=2, default=str)
    return ["```", text.rstrip("\n"), "```"]


def submission_markdown(
    sub: LeaderboardEntry,
    experiment: ExperimentRecord | None,
    posts: list[ForumPost],
    start: float | None,
) -> str:
    lines = [
        f"## Submission #{sub.submission_id} by {sub.agent_id}",
        "",
        fmt_clock(sub.ts, start),
        "",
    ]
    lines += [_score("public", sub.public), ""]
    if sub.private is not None:
        lines += [_score("private", sub.private), ""]
    if sub.voided:
        lines += [f"**Void**: {sub.void_reason or 'no reason given'}", ""]
    if sub.flags:
        lines += ["**Flags**: " + ", ".join(sub.flags), ""]
    config = method_config(sub.method)
    lines += ["### Method", "", *_block(config if config is not None else sub.method), ""]
    if experiment is not None:
        state = f"experiment #{experiment.id}, {experiment.status}, {experiment.duration:.1f} s"
        lines += ["### Diagnostics", "", state, "", *_block(experiment.diagnostics), ""]
        if experiment.error:
            lines += [f"error: {experiment.error}", ""]
    else:
        lines += ["### Diagnostics", "", "No experiment of this config is recorded.", ""]
    if sub.reproduced is not None:
        lines += ["### Reproduction", "", *_reproduction(sub.reproduced), ""]
    for post in posts:
        lines += [f"### Forum: {post.title}", "", f"{post.kind} #{post.id} by {post.author}"]
        lines += ["", post.body, ""]
    if not posts:
        lines += ["### Forum", "", "No post links to this submission."]
    return "\n".join(lines)


def _reproduction(rep: Reproduced) -> list[str]:
    seeds = ", ".join(str(seed) for seed in rep.seeds) or "none yet"
    lines = [f"**{rep.status}** over seeds {seeds}", ""]
    if rep.public_pgr_mean is not None:
        spread = f" ± {fmt_pgr(rep.public_pgr_sd)}" if rep.public_pgr_sd is not None else ""
        lines.append(f"reproduced public PGR {fmt_pgr(rep.public_pgr_mean)}{spread}")
    if rep.flags:
        lines.append("flags: " + ", ".join(rep.flags))
    if rep.message:
        lines.append(rep.message)
    return lines


def find_experiment(
    sub: LeaderboardEntry, records: list[ExperimentRecord]
) -> ExperimentRecord | None:
    """The experiment a submission came from: by digest when the engine said, else the
    agent's latest run of the same config."""
    if sub.experiment_digest:
        for record in records:
            if record.digest == sub.experiment_digest:
                return record
    config = method_config(sub.method)
    same = [r for r in records if r.agent_id == sub.agent_id and r.config == config]
    return max(same, key=lambda r: r.ts) if same and config is not None else None


def difference(sub: LeaderboardEntry, other: LeaderboardEntry) -> str:
    """How `sub` differs from `other`, whose method reads the same in the table."""
    mine, theirs = method_config(sub.method), method_config(other.method)
    if mine is not None and theirs is not None and mine != theirs:
        keys = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
        words = ", ".join(f"{k} {json.dumps(mine.get(k), default=str)}" for k in keys[:3])
        more = f" +{len(keys) - 3} more" if len(keys) > 3 else ""
        return f"vs #{other.submission_id}: {words}{more}"
    if sub.method != other.method:
        return f"differs from #{other.submission_id} past what is shown"
    who = "" if sub.agent_id == other.agent_id else f" by {other.agent_id}"
    return f"same method as #{other.submission_id}{who}"
