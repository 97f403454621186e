"""TARGET parsing, the newest running run, and the ssh options a user may pass through."""

from __future__ import annotations

import os
import socket

import pytest
from click.testing import CliRunner

from aar_tui.cli.ctl import ctl
from engine.api.files import ApiInfo, register_active, write_info
from engine.errors import EngineError
from engine.targets import HttpTarget, LocalTarget, newest_running, parse_target
from engine.tunnel import SshTarget, ssh_options_from


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
    (run_dir / "store.sqlite").write_bytes(b"")  # what makes `aar runs` list it
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


def test_no_target_never_reaches_a_run_that_aar_runs_does_not_list(tmp_path, monkeypatch):
    # Another user's run, served under their own directory, is in this machine's registry
    # of serving runs; without a TARGET, a client must still not steer it.
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "rt"))
    stranger = _fake_served_run(tmp_path / "home-of-someone-else", "theirs", os.getpid())
    register_active(tmp_path / "home-of-someone-else" / "theirs", "theirs")
    mine = tmp_path / "mine"
    mine.mkdir()
    try:
        with pytest.raises(EngineError, match="no running run"):
            parse_target(None, runs_dir=mine)
        s = _fake_served_run(mine, "ours", os.getpid())
        assert parse_target(None, runs_dir=mine).run_dir == mine / "ours"
        s.close()
    finally:
        stranger.close()


def test_ctl_without_run_refuses_to_guess_among_several_running_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "rt"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    runs_dir = tmp_path / "data" / "aar" / "runs"
    served = [_fake_served_run(runs_dir, name, os.getpid()) for name in ("night", "day")]
    try:
        with pytest.raises(EngineError, match=r"2 runs are running \(.*night.*\): say which"):
            newest_running(runs_dir, only_one=True)
        result = CliRunner().invoke(ctl, ["pause", "a1"])
        assert result.exit_code == 3
        assert "2 runs are running" in result.output and "--run NAME" in result.output
        assert "night" in result.output and "day" in result.output
    finally:
        for s in served:
            s.close()
