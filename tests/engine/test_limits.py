"""One record of limits: the config, `SetBudget`, the snapshot's budgets, the `budget`
event, the flags and the budget dialog all carry exactly the limits of `LIMITS`."""

from __future__ import annotations

import click
import pytest

from aar_tui.cli.ctl import ctl
from aar_tui.cli.init import budget_lines
from aar_tui.cli.run import run
from aar_tui.cli.serve import serve
from aar_tui.modals.budget_fields import budget_fields
from engine.commands import SetBudget
from engine.config import RunConfig, load
from engine.errors import ConfigError
from engine.events import BudgetPayload, Event, Payload, payload_from_json
from engine.limits import COST_USD, LIMITS, MINUTES, SUBMISSIONS_PER_HOUR, TOKENS_PER_AGENT, Spend
from engine.projection import Projection
from engine.view import Budgets, RunInfo

NAMES = {limit.name for limit in LIMITS}


def _flags(command: click.Command) -> set[str]:
    return {opt for p in command.params for opt in p.opts if opt.startswith("--")}


def test_every_part_carries_every_limit_and_no_other():
    config = RunConfig()
    for limit in LIMITS:
        assert limit.name in type(getattr(config, limit.section)).model_fields
    assert set(type(config.budget).model_fields) == NAMES - {"submissions_per_hour"}
    assert set(SetBudget.model_fields) - {"command", "issued_by"} == NAMES
    assert set(Budgets.model_fields) >= NAMES
    assert set(config.limits().model_dump()) == NAMES
    assert [f.name for f in budget_fields()] == [limit.name for limit in LIMITS]
    wanted = {limit.flag for limit in LIMITS}
    budget = ctl.commands["budget"]
    assert isinstance(budget, click.Command)
    assert wanted <= _flags(budget)
    assert wanted <= _flags(run) and wanted <= _flags(serve)


def test_each_limit_keeps_its_default_type_and_bounds_everywhere():
    config = RunConfig()
    for limit in LIMITS:
        assert config.limit(limit) == limit.default
        assert Budgets().limit(limit) == limit.default
        assert SetBudget().limit(limit) is None
    with pytest.raises(ConfigError, match=r"budget\.tokens_per_agent: -1 is not allowed"):
        load(None, {"budget": {"tokens_per_agent": -1}})
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        SetBudget(cost_usd=-1.0)
    assert TOKENS_PER_AGENT.number is int and COST_USD.number is float


def test_a_set_limit_is_read_by_its_record_and_written_back():
    config = load(
        None, {"budget": {"tokens_per_agent": 300}, "scoring": {"submissions_per_hour": 5}}
    )
    assert config.limit(TOKENS_PER_AGENT) == 300 and config.limit(SUBMISSIONS_PER_HOUR) == 5
    config.set_limit(MINUTES, 12.5)
    assert config.budget.minutes == 12.5
    assert RunConfig.model_validate_json(config.model_dump_json()).limits() == config.limits()


def test_a_budget_event_carries_the_limits_and_the_spend_in_one_shape():
    config = load(None, {"budget": {"cost_usd": 2.0}})
    event = BudgetPayload(limits=config.limits(), spend=Spend(tokens_used=7, paused_reason="x"))
    again = payload_from_json(event.model_dump_json())
    assert again == event
    projection = Projection(_run())
    projection.apply(_event(again))
    assert projection.budgets.limit(COST_USD) == 2.0 and projection.budgets.tokens_used == 7


def test_a_budget_event_of_an_older_run_sets_only_what_it_carried():
    projection = Projection(_run(), Budgets(cost_usd=3.0, tokens_used=1))
    spend_only = payload_from_json('{"kind": "budget", "budgets": {"tokens_used": 40}}')
    projection.apply(_event(spend_only))
    assert projection.budgets.tokens_used == 40 and projection.budgets.cost_usd == 3.0
    limits_only = payload_from_json('{"kind": "budget", "budgets": {"cost_usd": 9.0}}')
    projection.apply(_event(limits_only))
    assert projection.budgets.cost_usd == 9.0 and projection.budgets.tokens_used == 40


def _run() -> RunInfo:
    return RunInfo(
        run_id="r",
        name="r",
        task="toy",
        state="running",
        brain="offline",
        sandbox_backend="local",
        run_dir="/tmp/r",
    )


def _event(payload: Payload) -> Event:
    return Event(seq=1, ts=0.0, payload=payload)


def test_aar_inits_example_names_every_budget_limit_and_each_example_validates(tmp_path):
    text = budget_lines()
    kept = [limit for limit in LIMITS if limit.section == "budget"]
    assert all(f"{limit.name} = " in text for limit in kept)
    path = tmp_path / "every.toml"
    path.write_text("[budget]\n" + "\n".join(ln.removeprefix("# ") for ln in text.splitlines()))
    config = load(path)
    assert all(config.limit(limit) == limit.example for limit in kept)
