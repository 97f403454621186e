"""The cache: where it lives, and that a second baseline is a hit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from w2s.baselines import instance_key, seed_baseline
from w2s.cache import Cache, default_cache_dir
from w2s.tasks import get_task


def test_default_cache_dir_honours_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AAR_CACHE_DIR", "/tmp/somewhere")
    assert default_cache_dir() == Path("/tmp/somewhere")
    monkeypatch.delenv("AAR_CACHE_DIR")
    assert default_cache_dir() == Path.home() / ".cache" / "aar"


def test_second_baseline_is_a_cache_hit(tmp_path: Path) -> None:
    task = get_task("toy")
    data = task.build(21, None)
    key = instance_key(task, None, 21)
    first_cache = Cache(tmp_path)
    first = seed_baseline(task, data, key, 0, first_cache)
    assert (first_cache.hits, first_cache.misses) == (0, 1)
    second_cache = Cache(tmp_path)
    second = seed_baseline(task, data, key, 0, second_cache)
    assert (second_cache.hits, second_cache.misses) == (1, 0)
    np.testing.assert_array_equal(first.ceiling_test, second.ceiling_test)
    np.testing.assert_array_equal(first.weak_unlabel, second.weak_unlabel)


def test_another_seed_or_instance_is_a_miss(tmp_path: Path) -> None:
    task = get_task("toy")
    data = task.build(21, None)
    cache = Cache(tmp_path)
    seed_baseline(task, data, instance_key(task, None, 21), 0, cache)
    seed_baseline(task, data, instance_key(task, None, 21), 1, cache)
    seed_baseline(task, data, instance_key(task, None, 22), 0, cache)
    assert (cache.hits, cache.misses) == (0, 3)


def test_a_truncated_entry_is_recomputed(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.put_arrays("baselines", "k", {"a": np.arange(3)})
    path = tmp_path / "baselines" / "k.npz"
    path.write_bytes(path.read_bytes()[:10])
    assert cache.get_arrays("baselines", "k") is None
