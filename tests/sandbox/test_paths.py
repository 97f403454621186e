"""Confined, race-free file access from the engine's side, on plain directories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sandbox import FileTooLarge, PathRefused
from sandbox.paths import ConfinedFiles


@pytest.fixture
def files(tmp_path: Path) -> ConfinedFiles:
    (tmp_path / "ws").mkdir()
    (tmp_path / "bundle").mkdir()
    (tmp_path / "bundle" / "data.txt").write_text("data")
    (tmp_path / "secret.txt").write_text("secret")
    return ConfinedFiles(tmp_path / "ws", {"/bundle": tmp_path / "bundle"})


def test_links_that_stay_inside_are_followed(files: ConfinedFiles, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "a" / "b").mkdir(parents=True)
    (ws / "a" / "b" / "f.txt").write_text("deep")
    os.symlink("a/b", ws / "short")
    os.symlink("../b/f.txt", ws / "a" / "b" / "up")
    os.symlink("/workspace/short/f.txt", ws / "abs")
    assert files.read("short/f.txt") == files.read("a/b/up") == files.read("abs") == b"deep"


@pytest.mark.parametrize("link", ["../secret.txt", "/etc/passwd", "../../..", "/bundle/data.txt"])
def test_links_that_lead_out_of_their_root_are_refused(files, tmp_path: Path, link) -> None:
    os.symlink(link, tmp_path / "ws" / "l")
    with pytest.raises(PathRefused):
        files.read("l")


def test_symlink_loops_are_refused(files: ConfinedFiles, tmp_path: Path) -> None:
    os.symlink("b", tmp_path / "ws" / "a")
    os.symlink("a", tmp_path / "ws" / "b")
    with pytest.raises(PathRefused, match="too many levels"):
        files.read("a")


def test_only_regular_files_are_read_and_reads_are_capped(files, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "ws" / "pipe")
    with pytest.raises(PathRefused, match="regular file"):
        files.read("pipe")
    (tmp_path / "ws" / "big").write_bytes(b"x" * 1000)
    with pytest.raises(FileTooLarge, match="1000 bytes"):
        files.read("big", max_bytes=999)


def test_writes_make_parents_and_stay_in_the_workspace(files, tmp_path: Path) -> None:
    files.write("/workspace/x/y/z.json", b"{}")
    assert (tmp_path / "ws" / "x" / "y" / "z.json").read_bytes() == b"{}"
    os.symlink(str(tmp_path), tmp_path / "ws" / "escape")
    with pytest.raises(PathRefused):
        files.write("escape/new.txt", b"x")
    assert not (tmp_path / "new.txt").exists()


def test_paths_outside_every_root_name_the_allowed_roots(files: ConfinedFiles) -> None:
    with pytest.raises(PathRefused, match="/workspace, /bundle"):
        files.read("/etc/passwd")
    with pytest.raises(PathRefused, match=r"'\.\.' is not allowed"):
        files.list("/bundle/..")
    assert [e.name for e in files.list("/bundle")] == ["data.txt"]


def test_a_file_where_a_directory_is_needed_is_refused_at_once(files, tmp_path: Path) -> None:
    (tmp_path / "ws" / "plain").write_text("x")
    with pytest.raises(PathRefused, match="not a directory"):
        files.list("plain")
    with pytest.raises(PathRefused, match="not a directory"):
        files.read("plain/below")
