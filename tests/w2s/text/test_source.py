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
    with pytest.raises(TextTaskError, match=r"pass a local file instead: --data PATH\.jsonl"):
        load_records(
            parse_source("no-such-owner/no-such-dataset"), "train", cache_dir=tmp_path / "cache"
        )


def test_an_unreachable_hub_fails_at_once_with_the_local_file_form(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    # Network mode, but the hub's address refuses connections (nothing listens on port 9).
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    started = time.perf_counter()
    with pytest.raises(TextTaskError) as caught:
        load_records(parse_source("Anthropic/hh-rlhf:harmless-base"), "test")
    assert time.perf_counter() - started < 10
    message = str(caught.value)
    assert "\n" not in message
    assert "cannot reach the Hugging Face hub at http://127.0.0.1:9" in message
    assert "Anthropic/hh-rlhf:harmless-base" in message
    assert "--data PATH.jsonl" in message


def test_offline_mode_without_a_cached_copy_says_to_pass_a_local_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    with pytest.raises(TextTaskError) as caught:
        load_records(parse_source("Anthropic/hh-rlhf:harmless-base"), "test", cache_dir=tmp_path)
    message = str(caught.value)
    assert "\n" not in message
    assert "HF_HUB_OFFLINE" in message and "--data PATH.jsonl" in message


def test_the_hub_probe_sees_an_open_port_and_a_closed_one() -> None:
    import socket

    from w2s.text.source import hub_reachable

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert hub_reachable(f"http://127.0.0.1:{port}", timeout=2)
    assert not hub_reachable(f"http://127.0.0.1:{port}", timeout=2)
