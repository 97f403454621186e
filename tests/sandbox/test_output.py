"""The output cap keeps the head and the tail and says what it cut."""

from __future__ import annotations

from sandbox.output import StreamCapture


def test_output_under_the_cap_is_kept_whole() -> None:
    capture = StreamCapture("stdout", 1024)
    capture.feed(b"hello\n")
    assert capture.text() == "hello\n" and not capture.truncated


def test_output_over_the_cap_keeps_head_and_tail_with_the_count_cut() -> None:
    capture = StreamCapture("stdout", 100)
    for i in range(1000):
        capture.feed(f"{i:04d}\n".encode())
    text = capture.text()
    assert capture.truncated
    assert text.startswith("0000\n") and text.endswith("0999\n")
    assert "[... 4900 bytes cut by the output cap ...]" in text


def test_lines_are_handed_over_whole_even_when_split_across_chunks() -> None:
    seen: list[tuple[str, str]] = []
    capture = StreamCapture("stderr", 1024, lambda s, line: seen.append((s, line)))
    for chunk in (b"par", b"tial\nnext", b" line\nlast"):
        capture.feed(chunk)
    capture.close()
    assert seen == [("stderr", "partial"), ("stderr", "next line"), ("stderr", "last")]
