"""Reading plain words: a starting direction or a supervisor's redirect becomes constraints.

It recognises method and loss names, field names (and their everyday names, such as
"learning rate"), numbers given for them, and "small"/"large" qualifiers, e.g.
"focus on logconf with small learning rates" -> loss=logconf, lr in [1e-4, 1e-3]. What
it cannot place it says back in words, so the supervisor knows what was not understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from engine.brains.offline.space import DIMS, Constraints

# phrase -> (field, value) for named choices
NAMED: dict[str, tuple[str, object]] = {
    "logconf": ("loss", "logconf"),
    "log-conf": ("loss", "logconf"),
    "confidence loss": ("loss", "logconf"),
    "auxiliary confidence": ("loss", "logconf"),
    "product": ("loss", "product"),
    "noisy channel": ("loss", "product"),
    "noisy-channel": ("loss", "product"),
    "xent": ("loss", "xent"),
    "cross-entropy": ("loss", "xent"),
    "cross entropy": ("loss", "xent"),
    "self-training": ("method", "self_training"),
    "self training": ("method", "self_training"),
    "self_training": ("method", "self_training"),
    "relabel": ("method", "self_training"),
    "confident": ("method", "confident"),
    "data selection": ("method", "confident"),
    "vanilla": ("method", "vanilla"),
    "hard labels": ("labels", "hard"),
    "hard label": ("labels", "hard"),
    "soft labels": ("labels", "soft"),
    "early stopping": ("early_stopping", True),
    "early-stopping": ("early_stopping", True),
}

# everyday names of fields
ALIASES: dict[str, str] = {
    "learning rate": "lr",
    "learning rates": "lr",
    "lr": "lr",
    "epochs": "epochs",
    "epoch": "epochs",
    "weight decay": "weight_decay",
    "weight_decay": "weight_decay",
    "regularise": "weight_decay",
    "regularize": "weight_decay",
    "label smoothing": "label_smoothing",
    "label_smoothing": "label_smoothing",
    "smoothing": "label_smoothing",
    "ensemble": "ensemble",
    "ensembles": "ensemble",
    "batch size": "batch_size",
    "batch_size": "batch_size",
    "aux_coef": "aux_coef",
    "aux coef": "aux_coef",
    "warmup": "warmup_frac",
    "warmup_frac": "warmup_frac",
    "alpha": "alpha",
    "beta": "beta",
    "rounds": "rounds",
    "self_weight": "self_weight",
    "confident fraction": "confident_fraction",
    "confident_fraction": "confident_fraction",
}

SMALL = ("small", "smaller", "low", "lower", "tiny", "few", "fewer", "short")
LARGE = ("large", "larger", "big", "bigger", "high", "higher", "many", "more", "long")

# Words that carry no instruction; anything else left over is reported as not understood.
_FILLER_TEXT = """
a an the on of with and or to for in at by it its use using try trying focus
focusing look explore please more less keep stay stick only just now instead lets let's
go your you some rate rates value values than be is are that this from into
loss method labels label search tune tuning around about training train student
what how do does work works see find out over data set own them as so then but if
when which can cannot could should would maybe also all any we i me my our thanks
weak strong model models predictions prediction student's students
"""
FILLER = frozenset(_FILLER_TEXT.split())

_NUMBER = r"(-?\d+(?:\.\d+)?(?:e-?\d+)?)"


@dataclass
class Understanding:
    constraints: Constraints = field(default_factory=Constraints)
    understood: list[str] = field(default_factory=list)
    not_understood: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.constraints.fixed and not self.constraints.ranges


def _qualified_range(name: str, small: bool) -> tuple[float, float]:
    dim = DIMS[name]
    if dim.kind == "log":
        mid = (dim.low * dim.high) ** 0.5
    elif dim.kind == "choice":
        numbers = [float(c) for c in dim.choices]
        mid = numbers[len(numbers) // 2]
        return (min(numbers), mid) if small else (mid, max(numbers))
    else:
        mid = (dim.low + dim.high) / 2
    return (dim.low, mid) if small else (mid, dim.high)


def understand(text: str) -> Understanding:
    """What `text` asks of the search, and which of its words could not be placed."""
    out = Understanding()
    lowered = " " + text.lower() + " "
    used: list[tuple[int, int]] = []

    def claim(match: re.Match[str]) -> None:
        used.append(match.span())

    for phrase, (name, value) in sorted(NAMED.items(), key=lambda kv: -len(kv[0])):
        for m in re.finditer(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", lowered):
            if any(s <= m.start() < e for s, e in used):
                continue
            claim(m)
            out.constraints.fixed[name] = value
            out.understood.append(f"{name}={value}")
    focus: list[str] = []
    for alias, name in sorted(ALIASES.items(), key=lambda kv: -len(kv[0])):
        qualifiers = "|".join(SMALL + LARGE)
        pattern = rf"(?:(\b(?:{qualifiers})\b)\s+)?(?<![\w-]){re.escape(alias)}(?![\w-])"
        pattern += rf"(?:\s*(?:=|of|to|at|around|:)?\s*{_NUMBER})?"
        for m in re.finditer(pattern, lowered):
            if any(s <= m.start() < e for s, e in used):
                continue
            claim(m)
            qualifier, number = m.group(1), m.group(2)
            dim = DIMS[name]
            if number is not None:
                value = float(number)
                lo, hi = (value * 0.7, value * 1.4) if dim.kind == "log" else (value, value)
                if dim.kind in ("int", "choice"):
                    out.constraints.fixed[name] = int(value) if dim.kind == "int" else value
                    out.understood.append(f"{name}={out.constraints.fixed[name]:g}")
                else:
                    lo, hi = max(lo, dim.low), min(hi, dim.high)
                    out.constraints.ranges[name] = (lo, hi)
                    out.understood.append(f"{name} near {value:g}")
            elif qualifier is not None:
                lo, hi = _qualified_range(name, qualifier in SMALL)
                out.constraints.ranges[name] = (lo, hi)
                out.understood.append(f"{name} in [{lo:g}, {hi:g}] ({qualifier})")
            else:
                focus.append(name)
                out.understood.append(f"search {name}")
    out.constraints.focus = tuple(dict.fromkeys(focus))
    out.understood = list(dict.fromkeys(out.understood))
    rest = lowered
    for s, e in sorted(used, reverse=True):
        rest = rest[:s] + " " + rest[e:]
    words = re.findall(r"[a-z_][a-z_'-]*|\d[\w.-]*", rest)
    out.not_understood = [w for w in words if w not in FILLER and w not in SMALL + LARGE]
    return out
