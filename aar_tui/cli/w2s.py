"""`aar w2s ...`: baselines of a task, preparing a bundle for agents, grading predictions."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click


def _pm(summary: dict[str, Any], digits: int = 3) -> str:
    mean, se = summary.get("mean"), summary.get("se")
    if mean is None:
        return "undefined"
    text = f"{mean:.{digits}f}"
    return text + (f" ± {se:.{digits}f}" if se is not None else "")


@click.group()
def w2s() -> None:
    """The weak-to-strong benchmark: baselines, bundles, grading."""


@w2s.command()
@click.option("--task", default="toy", show_default=True, help="Task name or versioned id.")
@click.option("--seeds", default=3, show_default=True, type=click.IntRange(1, 100))
@click.option("--data", default=None, help="Data source (a path or hub id) for dataset tasks.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Default: $AAR_CACHE_DIR or ~/.cache/aar.",
)
def baseline(
    task: str, seeds: int, data: str | None, as_json: bool, cache_dir: Path | None
) -> None:
    """Weak, ceiling, and transfer with each loss at default settings (accuracy, PGR)."""
    from w2s.cache import Cache
    from w2s.report import baseline_report, steps_per_seed

    with click.progressbar(
        length=seeds * steps_per_seed(),
        label=f"{task} baseline",
        file=sys.stderr,
        show_pos=True,
        item_show_func=lambda s: s,
    ) as bar:

        def tick(label: str) -> None:
            bar.update(1, label)

        report = baseline_report(task, seeds, data=data, cache=Cache(cache_dir), progress=tick)
    if as_json:
        click.echo(json.dumps(report))
        return
    click.echo(f"{report['task']}: {seeds} seed(s), {report['seconds']:.1f}s, mean ± s.e.")
    click.echo(f"{'':10}{'accuracy':>18}{'PGR':>18}")
    for name in ("weak", "ceiling"):
        click.echo(f"{name:10}{_pm(report[name]['accuracy']):>18}")
    for loss, row in report["transfer"].items():
        click.echo(f"{loss:10}{_pm(row['accuracy']):>18}{_pm(row['pgr']):>18}")
    click.echo("PGR of the mean accuracies, s.e. by the delta method (per-seed mean in --json)")


@w2s.command()
@click.option("--task", default="toy", show_default=True, help="Task name or versioned id.")
@click.option("--data", default=None, help="Data source (a path or hub id) for dataset tasks.")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Writes OUT/bundle (for agents) and OUT/hidden (labels, mode 0700).",
)
@click.option(
    "--seeds",
    default=3,
    show_default=True,
    type=click.IntRange(1, 100),
    help="Training seeds of the baselines.",
)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Default: $AAR_CACHE_DIR or ~/.cache/aar.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def prepare(
    task: str, data: str | None, out: Path, seeds: int, cache_dir: Path | None, as_json: bool
) -> None:
    """Build a task from a secret seed: the agents' bundle and the scorer's hidden labels."""
    from w2s.prepare import prepare as prepare_task

    prepared = prepare_task(task, out, data=data, seeds=seeds, cache_dir=cache_dir)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "task": prepared.task_id,
                    "bundle": str(prepared.bundle_dir),
                    "hidden": str(prepared.hidden_dir),
                    "weak_accuracy_public": prepared.baselines["weak"]["public"],
                    "ceiling_accuracy_public": prepared.baselines["ceiling"]["public"],
                }
            )
        )
        return
    b = prepared.baselines
    click.echo(f"prepared {prepared.task_id}")
    click.echo(f"  bundle  {prepared.bundle_dir}")
    click.echo(f"  hidden  {prepared.hidden_dir}")
    weak, ceiling = b["weak"]["public"], b["ceiling"]["public"]
    click.echo(f"  public half: weak {weak:.4f}, ceiling {ceiling:.4f}")


@w2s.command()
@click.option(
    "--hidden",
    "hidden_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="OUT/hidden of `prepare`.",
)
@click.option(
    "--preds",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="A JSON list of predictions, or the runner's output file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--private", is_flag=True, help="Also show the private half's figures.")
def grade(hidden_dir: Path, preds: Path, as_json: bool, private: bool) -> None:
    """Score predictions against a prepared task's hidden labels."""
    from engine.texts import pgr_text
    from w2s.errors import PredictionsError
    from w2s.grader import grade as grade_predictions

    try:
        data = preds.read_bytes()
    except OSError as exc:
        raise PredictionsError(f"cannot read predictions file {preds}: {exc.strerror}") from None
    result = grade_predictions(hidden_dir, data)
    if as_json:
        click.echo(json.dumps(result.to_dict(private=private)))
        return
    halves = [("public", result.public)] + ([("private", result.private)] if private else [])
    for name, score in halves:
        click.echo(
            f"{name:8} accuracy {score.accuracy:.4f}  PGR {pgr_text(score.pgr)}  (n={score.n})"
        )
    click.echo(f"predicted class 1: {result.distribution['class1_share']:.3f}")


@w2s.command()
@click.option("--json", "as_json", is_flag=True, help="Print the fields as JSON.")
def methods(as_json: bool) -> None:
    """List the method config fields, their defaults and allowed values."""
    from w2s.__main__ import main

    sys.exit(main(["methods", *(["--json"] if as_json else [])]))
