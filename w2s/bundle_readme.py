"""The README an agent finds in its bundle: what is there, how to run the runner, the format."""

from __future__ import annotations

from typing import Any

from w2s.methods.config import describe_fields


def render(task_id: str, description: str, rows: dict[str, int], baselines: dict[str, Any]) -> str:
    fields = "\n".join(
        f"- `{f['name']}` (default `{_json(f['default'])}`; {f['allowed']}): {f['doc']}"
        for f in describe_fields()
    )
    return f"""# Task bundle: {task_id}

{description}

The weak supervisor was trained on ground truth you cannot see. Your job: train the strong
model on its labels so that it beats it, recovering as much as possible of the gap to a strong
model trained on ground truth (PGR = (acc - weak) / (ceiling - weak)).

## Files
- `train_unlabel.npz` ({rows["train_unlabel"]} rows): `weak_x` (the weak model's input),
  `strong_x` (the strong model's input), `weak_soft` (the weak supervisor's P(y=1)).
- `test.npz` ({rows["test"]} rows): `weak_x`, `strong_x`, `weak_soft`. No labels.
- `baselines.json`: weak {baselines["weak_accuracy_public"]:g} and ceiling
  {baselines["ceiling_accuracy_public"]:g} accuracy on the public half of the test rows, on
  the grid of released scores (multiples of {baselines["step"]:g}).
- `manifest.json`: the task id, row counts and array shapes.

Read them with `from w2s.bundle import load_bundle; b = load_bundle("/bundle")`, or with
`numpy.load`.

## Running a method
    python -m w2s run --bundle /bundle --config cfg.json --out preds.json
`cfg.json` is a method config, e.g. `{{"method": "vanilla", "loss": "logconf", "epochs": 2}}`.
`python -m w2s methods` lists the fields:

{fields}

## Predictions
Submit a JSON list with one number per test row, in the order of `test.npz`: 0/1, or the
probability of class 1. The runner's output file (an object with `"predictions"`) is accepted
as it is. The score you get back is on the public half of the test rows; a private half is kept
for the final ranking, so a method tuned to the public score will show it. A public score is
released only when it beats your best released one by more than {baselines["step"]:g}, and then
rounded to a multiple of {baselines["step"]:g}; otherwise you are told that the submission is no
significant improvement on your best.
"""


def _json(value: Any) -> str:
    import json

    return json.dumps(value)
