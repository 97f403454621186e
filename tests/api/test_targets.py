"""TARGET parsing, the newest running run, and the ssh options a user may pass through."""

from __future__ import annotations

import os
import socket

import pytest

from engine.api.files import ApiInfo, write_info
from engine.errors import EngineError
from engine.targets import HttpTarget, LocalTarget, SshTarget, parse_target
from engine.tunnel import ssh_options_from


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ssh://gpu-box", SshTarget(host="gpu-box")),
        ("ssh://gpu-box/", SshTarget(host="gpu-box")),
        ("ssh://ana@gpu-box:2222/srv/runs/r1", SshTarget("gpu-box", "ana", 2222, "/srv/runs/r1")),
        ("ssh://gpu-box/night-run", SshTarget(host="gpu-box", path="/night-run")),
        ("http://127.0.0.1:8765", HttpTarget("http://127.0.0.1:8765")),
        ("http://127.0.0.1:8765/", HttpTarget("http://127.0.0.1:8765")),
    ],
)
def test_remote_targets_are_parsed(text, expected):
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ssh://", "names no host"),
        ("ssh://host:99999/r", "port must be a number"),
        ("ftp://host/r", "unknown scheme"),
        ("http://127.0.0.1:8765/v1/run", "not an API address"),
        ("no-such-run", "no run at 'no-such-run'"),
        ("./nowhere/run", "no run at"),
    ],
)
def test_bad_targets_say_what_is_allowed(text, message, tmp_path):
    with pytest.raises(EngineError, match=message):
        parse_target(text, runs_dir=tmp_path)


def _fake_served_run(runs_dir, name: str, pid: int) -> socket.socket:
    run_dir = runs_dir / name
    run_dir.mkdir(parents=True)
    (run_dir / "token").write_text("t\n")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(run_dir / "api.sock"))
    write_info(run_dir, ApiInfo(run_id=name, pid=pid, socket=str(run_dir / "api.sock")))
    return sock


def test_no_target_means_the_newest_running_run_and_a_name_means_one_in_the_runs_dir(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "rt"))  # no other run on this machine
    with pytest.raises(EngineError, match="no running run"):
        parse_target(None, runs_dir=tmp_path)
    s1 = _fake_served_run(tmp_path, "older", os.getpid())
    s2 = _fake_served_run(tmp_path, "newer", os.getpid())
    s3 = _fake_served_run(tmp_path, "dead", 2**22 + 12345)  # no such process
    os.utime(tmp_path / "older" / "api.json", (1, 1))
    try:
        assert parse_target(None, runs_dir=tmp_path) == LocalTarget(
            tmp_path / "newer", tmp_path / "newer" / "api.sock"
        )
        assert parse_target("older", runs_dir=tmp_path).run_dir == tmp_path / "older"
    finally:
        for s in (s1, s2, s3):
            s.close()


def test_a_run_dir_without_a_socket_is_not_being_served(tmp_path):
    (tmp_path / "r").mkdir()
    with pytest.raises(EngineError, match="not being served"):
        parse_target(str(tmp_path / "r"))


def test_ssh_options_come_from_flags_and_the_environment_and_only_safe_ones_pass():
    got = ssh_options_from(["-F /tmp/cfg", "-oBatchMode=yes"], env="-i ~/.ssh/k -J jump -4")
    assert got == ["-i", "~/.ssh/k", "-J", "jump", "-4", "-F", "/tmp/cfg", "-o", "BatchMode=yes"]
    for bad in (["-L 1:2"], ["-R x"], ["host"], ["-F"]):
        with pytest.raises(EngineError, match="ssh option"):
            ssh_options_from(bad, env="")
