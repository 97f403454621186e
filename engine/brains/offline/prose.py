"""The offline researcher's words: its posts and its reasoning, in plain prose with numbers."""

from __future__ import annotations

from typing import Any

from engine.brains.offline.knowledge import Trial
from engine.texts import config_text, pgr_text


def _v(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value).lower() if isinstance(value, bool) else str(value)


def diagnostics_text(diag: dict[str, Any]) -> str:
    parts = []
    if "agreement_with_weak_labels" in diag:
        parts.append(f"agreement with the weak labels {diag['agreement_with_weak_labels']:.3f}")
    if "predicted_class1_share" in diag:
        parts.append(f"class-1 share {diag['predicted_class1_share']:.3f}")
    if "train_loss_last_epoch" in diag:
        parts.append(f"final train loss {diag['train_loss_last_epoch']:.3f}")
    return ", ".join(parts) or "no diagnostics"


def hypothesis(
    direction: str, parent: Trial | None, changed: list[str], config: dict[str, Any], first: bool
) -> tuple[str, str]:
    if parent is None and not first:
        title = f"Exploring: {config_text(config)[:160]}"
        body = (
            f"A random draw in my family ({direction}): {config_text(config)}. Local changes "
            "around my best have stalled or I want to check a distant region; if this scores "
            "well I will refine around it instead."
        )
        return title, body
    if parent is None:
        title = f"Starting point: {config_text(config)[:150]}"
        body = (
            f"My direction: {direction}.\n\nI will start from {config_text(config)} and use its "
            "public PGR as the reference for the changes that follow. I expect this family to "
            "beat plain cross-entropy because it does not take every weak label at face value."
        )
        return title, body
    moves = ", ".join(
        f"{name} {_v(parent.config.get(name))} -> {_v(config.get(name))}" for name in changed
    )
    title = f"Does changing {', '.join(changed)} help? ({moves})"[:200]
    body = (
        f"Parent: {config_text(parent.config)} (by {parent.by}, public PGR "
        f"{pgr_text(parent.pgr)}).\n\nHypothesis: {moves} moves the student away from the weak "
        "supervisor's mistakes without losing what it got right, so PGR rises. I will judge it "
        "by the agreement with the weak labels first (lower, but not far below the weak "
        "accuracy, is the sign of a student correcting its teacher), then by the public score."
    )
    return title, body


def result(
    trial: Trial, previous_best: float | None, seeds: tuple[float, float, int], held: int
) -> tuple[str, str]:
    gain = "" if previous_best is None else f" (up from the best known, {previous_best:.3f})"
    mean, sd, n = seeds
    also = (
        f" {held} more seed(s) scored within the Ladder's step of the best, so no public"
        " score was released for them."
        if held
        else ""
    )
    title = f"PGR {pgr_text(trial.pgr)}: {config_text(trial.config)[:150]}"
    body = (
        f"Public PGR {pgr_text(trial.pgr)}, public accuracy {trial.accuracy:.3f}{gain}.\n\n"
        f"Reproduced over {n + held} seeds, each redrawing the initialisation, the data order "
        f"and the early-stopping slice (seed and data_seed): over the {n} with a released "
        f"score, public PGR {mean:.3f} ± {sd:.3f} (mean ± sd).{also}\n\n"
        f"Config: {config_text(trial.config)}.\n"
        f"Diagnostics: {diagnostics_text(trial.diagnostics)}.\n\n"
        "The config is below and in my workspace snapshot under experiments/: copy it and "
        "build on it."
    )
    return title, body


def insight(
    effects: list[tuple[str, list[tuple[Any, float, int]]]], n_scored: int
) -> tuple[str, str]:
    name, rows = effects[0]
    best, worst = rows[0], rows[-1]
    title = (
        f"{name}: {_v(best[0])} beats {_v(worst[0])} (mean PGR {best[1]:.3f} vs {worst[1]:.3f})"
    )[:200]
    lines = [f"From {n_scored} scored experiments (mine and others'), mean public PGR by value:"]
    for field, values in effects[:3]:
        cells = "; ".join(f"{_v(v)}: {m:.3f} (n={n})" for v, m, n in values)
        lines.append(f"- {field}: {cells}")
    lines.append(
        "\nThese are averages over configs that differ in other fields too, so read them as "
        "a hint of where to look, not a controlled comparison."
    )
    return title, "\n".join(lines)


def failure(config: dict[str, Any], error: str) -> tuple[str, str]:
    title = f"Experiment failed: {config_text(config)[:150]}"
    body = f"The runner failed on {config_text(config)}:\n\n{error[:1500]}"
    return title, body


def last_lines(output: str, n: int = 2) -> str:
    """The lines of a command's output that say what went wrong, without our markers."""
    lines = [line for line in output.splitlines() if line.strip() and line not in ("[stderr]",)]
    return " ".join(lines[-n:]) or "no output"
