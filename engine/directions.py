"""Built-in starting directions: distinct, vague, drawn from the method space and the field.

Identical starts make agents converge, so each agent gets a different one (the config's
own first). Each names a method family the offline researcher starts from; a model
reads the words.
"""

from __future__ import annotations

DIRECTIONS: tuple[str, ...] = (
    "logconf: let the student trust its own predictions over the weak labels where it is sure",
    "data selection: train only on the confident weak labels, drop the doubtful ones",
    "self-training: relabel the data with the student's own predictions, round after round",
    "product loss: treat the weak labels as a noisy channel and combine them with the "
    "student's beliefs",
    "simplicity bias: regularise the student (weight decay, label smoothing) so it cannot "
    "fit the weak labels' mistakes",
    "hard labels and early stopping: stop before the student memorises the weak errors",
    "ensembles: average several students to wash out the weak supervisor's noise",
    "plain cross-entropy on soft labels: find how far tuning alone goes",
)


def directions_for(count: int, given: list[str] | tuple[str, ...] = ()) -> list[str]:
    """`count` starting directions: the given ones first, then the built-in list, cycled."""
    out = list(given[:count])
    i = 0
    while len(out) < count:
        candidate = DIRECTIONS[i % len(DIRECTIONS)]
        if i >= len(DIRECTIONS) or candidate not in out:
            out.append(candidate)
        i += 1
    return out
