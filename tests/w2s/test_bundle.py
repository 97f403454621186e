"""The bundle an agent sees holds no label, and the labels cannot be rebuilt from the code."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import numpy as np
import pytest

from w2s.bundle import load_bundle
from w2s.errors import BundleError
from w2s.prepare import Prepared, prepare
from w2s.tasks import get_task


def _labels(prepared: Prepared) -> dict[str, np.ndarray]:
    with np.load(prepared.hidden_dir / "labels.npz") as data:
        return {k: data[k] for k in ("train_label_y", "train_unlabel_y", "test_y")}


def _vectors_in(path: Path) -> list[tuple[str, np.ndarray]]:
    """Every vector of numbers in a bundle file (arrays, their columns, JSON lists), by name."""
    found: list[tuple[str, np.ndarray]] = []
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as data:
            for name in data.files:
                arr = np.asarray(data[name])
                found.append((name, arr.ravel()))
                if arr.ndim == 2:
                    found += [(f"{name}[:, {j}]", arr[:, j]) for j in range(arr.shape[1])]
        return found

    def walk(value: object, where: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{where}.{k}")
        elif isinstance(value, list):
            if value and all(isinstance(v, int | float) for v in value):
                found.append((where, np.asarray(value, dtype=float)))
            for i, v in enumerate(value):
                walk(v, f"{where}[{i}]")

    if path.suffix == ".json":
        walk(json.loads(path.read_text()), path.name)
    return found


def test_bundle_contains_no_labels(prepared: Prepared) -> None:
    labels = _labels(prepared)
    files = sorted(p for p in prepared.bundle_dir.rglob("*") if p.is_file())
    assert {p.name for p in files} == {
        "manifest.json",
        "baselines.json",
        "README.md",
        "train_unlabel.npz",
        "test.npz",
    }
    compared = 0
    for path in files:
        for name, vector in _vectors_in(path):
            for split, y in labels.items():
                if len(vector) != len(y):
                    continue
                compared += 1
                agree = np.mean((vector >= 0.5) == (y == 1))
                # Weak labels agree about two thirds of the time; a label column, stored as
                # 0/1, as booleans, or flipped, would agree or disagree nearly everywhere.
                assert 0.2 < agree < 0.8, f"{path.name}:{name} carries {split} labels ({agree})"
        if path.suffix in {".json", ".md"}:
            text = path.read_text()
            for y in labels.values():
                assert json.dumps(y[:24].tolist())[1:-1] not in text
                assert "".join(map(str, y[:48])) not in text
    assert compared >= 6


def test_hidden_dir_is_private_and_complete(prepared: Prepared) -> None:
    assert stat.S_IMODE(prepared.hidden_dir.stat().st_mode) == 0o700
    for name in ("task.json", "labels.npz", "baselines.json"):
        assert stat.S_IMODE((prepared.hidden_dir / name).stat().st_mode) == 0o600
    with np.load(prepared.hidden_dir / "labels.npz") as data:
        public = data["test_public"]
    assert public.sum() == len(public) // 2


def test_labels_cannot_be_regenerated_from_code_and_bundle(prepared: Prepared) -> None:
    bundle = load_bundle(prepared.bundle_dir)
    test_y = _labels(prepared)["test_y"]
    task = get_task(bundle.task_id)
    # An agent can import the task's code: it tries every small seed and the usual ones.
    for seed in [*range(64), 42, 1234, 2**31 - 1, 2**32 - 1]:
        rebuilt = task.build(seed, None)
        # A seed may draw another number of latents, hence another width of strong_x.
        same_width = rebuilt.test.strong_x.shape == bundle.test.strong_x.shape
        assert not same_width or not np.allclose(
            rebuilt.test.strong_x[:4], bundle.test.strong_x[:4]
        )
        agree = np.mean(rebuilt.test.y == test_y)
        assert 0.45 < agree < 0.55, f"seed {seed} rebuilds the labels ({agree})"


def test_public_half_differs_between_preparations(tmp_path: Path, cache_dir: Path) -> None:
    a = prepare("toy", tmp_path / "a", seed=123, seeds=1, cache_dir=cache_dir)
    b = prepare("toy", tmp_path / "b", seed=124, seeds=1, cache_dir=cache_dir)
    with np.load(a.hidden_dir / "labels.npz") as da, np.load(b.hidden_dir / "labels.npz") as db:
        assert not np.array_equal(da["test_public"], db["test_public"])


def test_preparing_the_same_instance_again_reuses_cached_baselines(
    tmp_path: Path, cache_dir: Path
) -> None:
    first = prepare("toy", tmp_path / "one", seed=77, seeds=2, cache_dir=cache_dir)
    entries = set((cache_dir / "baselines").iterdir())
    second = prepare("toy", tmp_path / "two", seed=77, seeds=2, cache_dir=cache_dir)
    assert set((cache_dir / "baselines").iterdir()) == entries
    assert first.baselines == second.baselines


def test_preparing_again_into_the_same_directory_replaces_it(
    tmp_path: Path, cache_dir: Path
) -> None:
    prepare("toy", tmp_path, seed=5, seeds=1, cache_dir=cache_dir)
    again = prepare("toy", tmp_path, seed=6, seeds=1, cache_dir=cache_dir)
    assert json.loads((again.hidden_dir / "task.json").read_text())["seed"] == "6"


def test_bundle_readme_and_manifest_describe_the_task(prepared: Prepared) -> None:
    readme = (prepared.bundle_dir / "README.md").read_text()
    assert "python -m w2s run" in readme and "confident_fraction" in readme
    bundle = load_bundle(prepared.bundle_dir)
    assert bundle.task_id == "toy-v2"
    assert bundle.manifest["rows"]["test"] == len(bundle.test.strong_x)
    assert bundle.baselines["ceiling_accuracy_public"] > bundle.baselines["weak_accuracy_public"]


def test_bundle_baselines_sit_on_the_grid_of_released_scores(prepared: Prepared) -> None:
    from w2s.metrics import on_grid, score_step

    visible = load_bundle(prepared.bundle_dir).baselines
    step = visible["step"]
    assert step == score_step(len(load_bundle(prepared.bundle_dir).test.strong_x) // 2) == 0.012
    moved = []
    for name, half in (("weak_accuracy_public", "weak"), ("ceiling_accuracy_public", "ceiling")):
        exact = prepared.baselines[half]["public"]
        assert visible[name] == on_grid(exact, step)
        # An accuracy exactly half a step from two multiples may round either way.
        assert abs(visible[name] - exact) <= step / 2 + 1e-9
        moved.append(visible[name] != exact)
    # An exact accuracy may happen to sit on the grid; both at once would be a 1-in-500 chance.
    assert any(moved)
    assert f"multiples of {step:g}" in (prepared.bundle_dir / "README.md").read_text()


def test_prepare_refuses_to_overwrite_a_foreign_directory(tmp_path: Path, cache_dir: Path) -> None:
    (tmp_path / "bundle").mkdir()
    (tmp_path / "bundle" / "notes.txt").write_text("mine")
    with pytest.raises(BundleError, match="not a prepared task"):
        prepare("toy", tmp_path, seed=1, seeds=1, cache_dir=cache_dir)
    assert (tmp_path / "bundle" / "notes.txt").exists()


def test_a_broken_bundle_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="does not exist"):
        load_bundle(tmp_path / "missing")
    (tmp_path / "manifest.json").write_text("{}")
    with pytest.raises(BundleError, match="format-1"):
        load_bundle(tmp_path)
