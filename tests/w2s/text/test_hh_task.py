"""The hh-rlhf tasks end to end on real pairs: features, their cache, the hub layout, the
bundle an agent sees, and the `aar w2s` commands."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from aar_tui.cli import cli
from tests.w2s.text.conftest import SUBSET_PAIRS, write_jsonl_gz
from w2s.tasks import get_task
from w2s.text.encoders import TransformerEncoder
from w2s.text.source import load_records, parse_source

PAIR_SIDES = re.compile(rb"chosen|rejected", re.IGNORECASE)


def test_the_real_file_is_read_in_place(hh_file: Path, text_cache: Path) -> None:
    assert not hh_file.resolve().is_relative_to(Path(__file__).resolve().parents[3])
    rows = load_records(parse_source(str(hh_file)), cache_dir=text_cache)
    assert len(rows) == 2312
    assert set(rows[0]) == {"chosen", "rejected"}


def test_one_file_gives_three_splits_with_weak_and_strong_features(
    hh_subset: Path, minilm: None
) -> None:
    data = get_task("hh-rlhf").build(0, str(hh_subset))
    sizes = [len(data.train_label), len(data.train_unlabel), len(data.test)]
    assert sizes == [84, 84, 72] and sum(sizes) == SUBSET_PAIRS
    assert data.test.strong_x.shape[1] == 384  # MiniLM's width
    assert data.test.weak_x.shape[1] > 16  # TF-IDF vocabulary
    assert 0.3 < data.train_unlabel.y.mean() < 0.7


def test_features_are_encoded_once_then_read_from_the_cache(
    hh_subset: Path, minilm: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    task = get_task("hh-rlhf")
    first = task.build(0, str(hh_subset))

    def refuse(self: TransformerEncoder, texts: list[str]) -> np.ndarray:
        raise AssertionError("the cache should have answered")

    monkeypatch.setattr(TransformerEncoder, "encode", refuse)
    again = task.build(0, str(hh_subset))
    other_seed = task.build(1, str(hh_subset))  # another cut of the same texts
    assert np.array_equal(first.test.strong_x, again.test.strong_x)
    assert not np.array_equal(first.test.y, other_seed.test.y[: len(first.test.y)])


def test_two_layer_minilm_is_a_weaker_encoder_with_the_same_width(
    hh_subset: Path, minilm: None
) -> None:
    data = get_task("hh-rlhf-minilm2l").build(0, str(hh_subset))
    assert data.test.weak_x.shape == data.test.strong_x.shape
    assert not np.allclose(data.test.weak_x, data.test.strong_x)


def test_binary_and_pairwise_modes_draw_the_same_pairs_differently(
    hh_subset: Path, minilm: None
) -> None:
    binary = get_task("hh-rlhf-binary").build(0, str(hh_subset))
    pairwise = get_task("hh-rlhf").build(0, str(hh_subset))
    assert len(binary.test) == len(pairwise.test)
    assert binary.test.strong_x.shape == pairwise.test.strong_x.shape
    # Pairwise rows are differences in a coin-flipped order: centred near zero.
    assert abs(pairwise.train_unlabel.strong_x.mean()) < 0.2


def test_a_hub_layout_feeds_train_halves_and_the_test_split(
    tmp_path: Path, hh_pairs: list[dict], minilm: None
) -> None:
    hub = tmp_path / "hh-rlhf"
    write_jsonl_gz(hub / "harmless-base" / "train.jsonl.gz", hh_pairs[:40])
    write_jsonl_gz(hub / "harmless-base" / "test.jsonl.gz", hh_pairs[40:64])
    data = get_task("hh-rlhf").build(0, f"{hub}:harmless-base")
    assert [len(data.train_label), len(data.train_unlabel), len(data.test)] == [20, 20, 24]


def test_prepared_bundle_has_no_label_and_no_trace_of_the_pair_sides(
    tmp_path: Path, hh_subset: Path, minilm: None
) -> None:
    out = tmp_path / "prepared"
    result = CliRunner().invoke(
        cli,
        [
            "w2s",
            "prepare",
            "--task",
            "hh-rlhf",
            "--data",
            str(hh_subset),
            "--out",
            str(out),
            "--seeds",
            "1",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    bundle = out / "bundle"
    labels = np.load(out / "hidden" / "labels.npz")["test_y"]
    for path in bundle.rglob("*"):
        if not path.is_file():
            continue
        assert not PAIR_SIDES.search(path.read_bytes()), path.name
        if path.suffix == ".npz":
            with zipfile.ZipFile(path) as archive:
                names = [n.removesuffix(".npy") for n in archive.namelist()]
            assert set(names) == {"weak_x", "strong_x", "weak_soft"}
            arrays = np.load(path)
            for name in names:
                column = arrays[name]
                if column.ndim == 1 and len(column) == len(labels):
                    assert not np.array_equal(column.round(), labels), f"{path.name}:{name}"
    # Bundle order says nothing about which rows are labelled 1: both halves hold both.
    half = len(labels) // 2
    assert 0 < labels[:half].mean() < 1 and 0 < labels[half:].mean() < 1


def test_the_baseline_command_prints_figures_with_standard_errors(
    hh_subset: Path, minilm: None
) -> None:
    args = ["w2s", "baseline", "--task", "hh-rlhf", "--data", str(hh_subset), "--seeds", "2"]
    text = CliRunner().invoke(cli, args)
    assert text.exit_code == 0, text.output
    for row in ("weak", "ceiling", "xent"):
        assert re.search(rf"^{row}\s+0\.\d{{3}} ± 0\.\d{{3}}", text.output, re.MULTILINE), row
    report = json.loads(CliRunner().invoke(cli, [*args, "--json"]).stdout)
    assert report["task"] == "hh-rlhf-v1" and report["seeds"] == 2
    assert report["weak"]["accuracy"]["se"] is not None
    assert set(report["transfer"]) >= {"xent", "logconf", "product"}


def test_a_missing_data_file_is_a_clean_command_line_error(tmp_path: Path) -> None:
    missing = tmp_path / "absent.jsonl.gz"
    result = CliRunner().invoke(
        cli, ["w2s", "baseline", "--task", "hh-rlhf", "--data", str(missing), "--seeds", "1"]
    )
    assert result.exit_code != 0
    assert "absent.jsonl.gz: no such file" in result.output
    assert "Traceback" not in result.output


def test_cache_dir_of_the_commands_holds_the_features(
    tmp_path: Path, hh_pairs: list[dict], minilm: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A small file of its own: its features are encoded cold, into the chosen cache.
    small = write_jsonl_gz(tmp_path / "small.jsonl.gz", hh_pairs[:80])
    default, chosen = tmp_path / "default-cache", tmp_path / "chosen-cache"
    monkeypatch.setenv("AAR_CACHE_DIR", str(default))
    data = ["--task", "hh-rlhf", "--data", str(small), "--seeds", "1"]
    cache = ["--cache-dir", str(chosen)]
    prepared = CliRunner().invoke(
        cli, ["w2s", "prepare", *data, *cache, "--out", str(tmp_path / "out"), "--json"]
    )
    assert prepared.exit_code == 0, prepared.output
    assert list((chosen / "features").glob("*.npz")), "features not kept in --cache-dir"
    assert not (default / "features").exists()

    def refuse(self: TransformerEncoder, texts: list[str]) -> np.ndarray:
        raise AssertionError("the features in --cache-dir should have answered")

    monkeypatch.setattr(TransformerEncoder, "encode", refuse)
    report = CliRunner().invoke(cli, ["w2s", "baseline", *data, *cache, "--json"])
    assert report.exit_code == 0, report.output
    assert not (default / "features").exists()
