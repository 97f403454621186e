"""Reading records: one local file, or a dataset in the hub's layout through the same code
that reads the hub (here a local folder the test lays out like `Anthropic/hh-rlhf`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.w2s.text.conftest import write_jsonl_gz
from w2s.text.errors import TextTaskError
from w2s.text.source import DataSource, load_records, parse_source


def test_a_jsonl_gz_path_is_a_local_file(hh_subset: Path) -> None:
    source = parse_source(str(hh_subset))
    assert source == DataSource("file", str(hh_subset.resolve()))


def test_a_hub_id_may_name_a_data_dir() -> None:
    assert parse_source("Anthropic/hh-rlhf:harmless-base") == DataSource(
        "hub", "Anthropic/hh-rlhf", "harmless-base"
    )
    assert parse_source("allenai/sciq") == DataSource("hub", "allenai/sciq", None)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(TextTaskError, match=r"nope\.jsonl\.gz: no such file"):
        parse_source(str(tmp_path / "nope.jsonl.gz"))


def test_a_file_of_another_kind_is_refused_with_the_allowed_suffixes(tmp_path: Path) -> None:
    other = tmp_path / "pairs.csv"
    other.write_text("chosen,rejected\n")
    with pytest.raises(TextTaskError, match=r"\.jsonl or \.jsonl\.gz"):
        parse_source(str(other))


def test_an_empty_value_is_refused() -> None:
    with pytest.raises(TextTaskError, match="--data is empty"):
        parse_source("  ")


def test_a_local_file_reads_every_row(
    hh_subset: Path, hh_pairs: list[dict], text_cache: Path
) -> None:
    rows = load_records(parse_source(str(hh_subset)), cache_dir=text_cache)
    assert rows == hh_pairs


def test_hub_layout_splits_load_through_the_hub_code_path(
    tmp_path: Path, hh_pairs: list[dict]
) -> None:
    # The layout of Anthropic/hh-rlhf: one folder per subset, train and test files in it.
    hub = tmp_path / "hh-rlhf"
    write_jsonl_gz(hub / "harmless-base" / "train.jsonl.gz", hh_pairs[:30])
    write_jsonl_gz(hub / "harmless-base" / "test.jsonl.gz", hh_pairs[30:40])
    write_jsonl_gz(hub / "helpful-base" / "train.jsonl.gz", hh_pairs[40:41])
    source = parse_source(f"{hub}:harmless-base")
    assert source.kind == "hub"
    assert load_records(source, "train", cache_dir=tmp_path / "cache") == hh_pairs[:30]
    assert load_records(source, "test", cache_dir=tmp_path / "cache") == hh_pairs[30:40]


def test_an_unreadable_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"chosen": "a", "rejected": "b"}\nthis is not json\n')
    with pytest.raises(TextTaskError, match="could not read"):
        load_records(parse_source(str(broken)), cache_dir=tmp_path / "cache")


def test_an_unreachable_hub_dataset_says_how_to_work_offline(tmp_path: Path) -> None:
    with pytest.raises(TextTaskError, match=r"pass a local \.jsonl or \.jsonl\.gz file"):
        load_records(
            parse_source("no-such-owner/no-such-dataset"), "train", cache_dir=tmp_path / "cache"
        )
