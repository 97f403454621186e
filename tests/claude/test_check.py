"""For people: `aar claude check`, the one-line answer when no key is set, the model check
against the Models API, the price table, and settings read from the environment."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from aar_tui.cli import cli
from engine.brains.claude.models import CallUsage, cost_usd, run_estimate_usd
from engine.brains.claude.settings import ClaudeSettings
from engine.errors import ConfigError
from tests.claude.conftest import fast_settings
from tests.services.messages_api import API_KEY, MODELS, Reply, text, tool

NO_KEY = {"ANTHROPIC_API_KEY": None, "ANTHROPIC_AUTH_TOKEN": None}


def test_claude_check_without_a_key_says_in_one_line_what_to_set():
    result = CliRunner().invoke(cli, ["claude", "check"], env=NO_KEY)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "ANTHROPIC_API_KEY" in lines[0]


def test_claude_check_lists_models_and_reads_the_second_call_from_the_cache(api):
    api.responder = lambda _body: Reply([text("ok")])
    env = {"ANTHROPIC_API_KEY": API_KEY, "ANTHROPIC_BASE_URL": api.url}
    result = CliRunner().invoke(cli, ["claude", "check", "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [m["id"] for m in report["models"]] == [m["id"] for m in MODELS]
    first, second = report["calls"]
    assert first["cache_write_tokens"] > 1024 and first["cache_read_tokens"] == 0
    assert second["cache_read_tokens"] == first["cache_write_tokens"]
    assert second["latency_s"] > 0 and report["warning"] is None
    warned = CliRunner().invoke(cli, ["claude", "check", "--model", "claude-opus-9"], env=env)
    assert "does not list 'claude-opus-9'" in warned.output


def test_claude_check_with_a_refused_key_says_what_to_fix(api):
    env = {"ANTHROPIC_API_KEY": "sk-ant-wrong", "ANTHROPIC_BASE_URL": api.url}
    result = CliRunner().invoke(cli, ["claude", "check"], env=env)
    assert result.exit_code == 1 and "check ANTHROPIC_API_KEY" in result.output
    assert "Traceback" not in result.output


def test_a_claude_run_without_a_key_says_in_one_line_what_to_set(tmp_path):
    args = ["run", "--brain", "claude", "--headless", "--run-dir", str(tmp_path / "r")]
    result = CliRunner().invoke(cli, args, env=NO_KEY)
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and "ANTHROPIC_API_KEY" in errors[0]
    assert "Traceback" not in result.output
    assert not (tmp_path / "r").exists()  # refused before any work


async def test_the_brain_warns_about_a_model_the_api_does_not_list(open_swarm, api):
    api.models = ({"id": "claude-opus-5", "display_name": "Opus", "max_input_tokens": 50_000},)
    api.responder = lambda _body: Reply([tool("list_dir", {})])
    swarm = await open_swarm(fast_settings(model="claude-opus-9", context_tokens=10**6))
    await swarm.wait_requests(1)
    said = "".join(e.payload.text for e in await swarm.events("text_delta", agent="a1"))
    assert "does not list 'claude-opus-9'" in said
    assert api.model_listings == 1
    listed = await open_swarm(fast_settings(context_tokens=10**6))
    await listed.wait_for(lambda: listed.brains["a1"].calls >= 1, what="a call")
    assert listed.brains["a1"].context_tokens == 50_000  # the API's figure, not the table's


def test_prices_come_from_the_table():
    usage = CallUsage(
        input_tokens=1_000_000,
        output_tokens=1_000_000,
        cache_read_tokens=1_000_000,
        cache_write_tokens=1_000_000,
    )
    # Opus 5: $5 in, $25 out, reads 0.1x and writes 1.25x the input price.
    assert cost_usd("claude-opus-5", usage) == pytest.approx(5 + 25 + 0.5 + 6.25)
    assert cost_usd("claude-haiku-4-5-20251001", usage) == pytest.approx(1 + 5 + 0.1 + 1.25)
    three_for_a_day = run_estimate_usd("claude-opus-5", agents=3, hours=24)
    assert three_for_a_day == pytest.approx(
        3 * 2 * run_estimate_usd("claude-opus-5", agents=1, hours=12)
    )


def test_settings_from_the_environment_name_a_bad_value():
    s = ClaudeSettings.from_env({"AAR_CLAUDE_THINKING": "4000", "AAR_CLAUDE_MAX_IN_FLIGHT": "4"})
    assert s.thinking == 4000 and s.max_in_flight == 4
    with pytest.raises(ConfigError, match=r"AAR_CLAUDE_THINKING='lots' is not allowed: use off"):
        ClaudeSettings.from_env({"AAR_CLAUDE_THINKING": "lots"})
    with pytest.raises(ConfigError, match=r"AAR_CLAUDE_MAX_IN_FLIGHT='0'.*\[1, 1024\]"):
        ClaudeSettings.from_env({"AAR_CLAUDE_MAX_IN_FLIGHT": "0"})


def test_aar_run_with_the_claude_brain_drives_agents_through_the_sdk(
    api, tmp_path, local_sandboxes
):
    api.responder = lambda _body: Reply([text("Checking the board."), tool("leaderboard", {})])
    env = {
        "ANTHROPIC_API_KEY": API_KEY,
        "ANTHROPIC_BASE_URL": api.url,
        "AAR_CLAUDE_MODEL": "claude-haiku-4-5",
    }
    args = [
        "run",
        "--brain",
        "claude",
        "--headless",
        "--agents",
        "2",
        "--minutes",
        "0.1",
        "--run-dir",
        str(tmp_path / "run"),
    ]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    starts = {r.body["messages"][0]["content"][0]["text"] for r in api.requests}
    assert len(starts) == 2  # two agents, each from its own direction
    assert {r.body["model"] for r in api.requests} == {"claude-haiku-4-5"}
    assert api.model_listings == 1  # once per run, not once per agent
