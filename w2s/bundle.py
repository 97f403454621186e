"""The agent-visible task bundle: inputs and weak labels, never a label of any split.

Layout (format 1):
    manifest.json        task id, format, row counts, feature sizes, the arrays of each file
    train_unlabel.npz    weak_x, strong_x, weak_soft (the weak supervisor's P(y=1))
    test.npz             weak_x, strong_x, weak_soft; predictions are one per row, in this order
    baselines.json       weak and ceiling accuracy on the public half of the test split
    README.md            what is here, how to run the runner, the predictions format

`load_bundle` is what the runner and an agent's own code read it with.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from w2s.errors import BundleError

FORMAT = 1
MANIFEST = "manifest.json"
BUNDLE_ARRAYS = {
    "train_unlabel": ("weak_x", "strong_x", "weak_soft"),
    "test": ("weak_x", "strong_x", "weak_soft"),
}


@dataclass(frozen=True)
class BundleSplit:
    weak_x: np.ndarray
    strong_x: np.ndarray
    weak_soft: np.ndarray


@dataclass(frozen=True)
class Bundle:
    path: Path
    task_id: str
    train_unlabel: BundleSplit
    test: BundleSplit
    baselines: dict[str, Any]
    manifest: dict[str, Any]


def write_bundle(
    path: Path,
    *,
    task_id: str,
    task_description: str,
    splits: dict[str, BundleSplit],
    baselines: dict[str, Any],
    readme: str,
) -> None:
    """Write a bundle into the empty or absent directory `path`."""
    path.mkdir(parents=True, exist_ok=True)
    files: dict[str, Any] = {}
    for name, fields in BUNDLE_ARRAYS.items():
        split = splits[name]
        arrays = {field: getattr(split, field) for field in fields}
        np.savez(path / f"{name}.npz", **arrays)
        files[f"{name}.npz"] = {k: list(v.shape) for k, v in arrays.items()}
    manifest = {
        "format": FORMAT,
        "task": task_id,
        "description": task_description,
        "rows": {name: len(splits[name].weak_soft) for name in BUNDLE_ARRAYS},
        "features": {
            "weak": int(splits["test"].weak_x.shape[1]),
            "strong": int(splits["test"].strong_x.shape[1]),
        },
        "files": files,
    }
    (path / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    (path / "baselines.json").write_text(json.dumps(baselines, indent=2) + "\n")
    (path / "README.md").write_text(readme)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise BundleError(f"{path} is missing; is this a task bundle?") from None
    except (OSError, ValueError) as exc:
        raise BundleError(f"{path} cannot be read as JSON: {exc}") from None


def load_bundle(path: Path | str) -> Bundle:
    """Read the bundle at `path`; BundleError says what is missing or malformed."""
    path = Path(path)
    if not path.is_dir():
        raise BundleError(f"bundle directory {path} does not exist")
    manifest = _read_json(path / MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(
            f"{path / MANIFEST} is not a format-{FORMAT} bundle manifest; "
            "prepare the task again with this version of w2s"
        )
    splits = {}
    for name, fields in BUNDLE_ARRAYS.items():
        file = path / f"{name}.npz"
        try:
            with np.load(file, allow_pickle=False) as data:
                splits[name] = BundleSplit(*(np.asarray(data[f]) for f in fields))
        except FileNotFoundError:
            raise BundleError(f"{file} is missing from the bundle") from None
        except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as exc:
            raise BundleError(f"{file} is not a valid bundle array file: {exc}") from None
    baselines = _read_json(path / "baselines.json")
    return Bundle(
        path=path,
        task_id=str(manifest.get("task")),
        train_unlabel=splits["train_unlabel"],
        test=splits["test"],
        baselines=baselines,
        manifest=manifest,
    )
