"""A PGR, a method config and the forum's post kinds read the same on every surface."""

from __future__ import annotations

import json
from typing import get_args

import pytest

from aar_tui.cli import ctl as ctl_cli
from aar_tui.cli.run import _method as headless_method
from aar_tui.describe import describe_method
from aar_tui.look import fmt_pgr
from aar_tui.screens.forum import KINDS as FORUM_SCREEN_KINDS
from engine.api.app import SupervisorPost
from engine.errors import ForumError
from engine.events import HUMAN_POST_KINDS, POST_KINDS, ForumPost
from engine.report.build import _method as report_method
from engine.texts import config_text, pgr_text
from engine.tools.inputs import ForumPostInput, ForumSearch

CONFIG = {
    "seed": 3,
    "confident_fraction": 0.47368421,
    "early_stopping": True,
    "lr": 0.0003,
    "aux_coef": None,
    "loss": "xent",
    "method": "confident",
}


def test_a_pgr_has_three_decimals_and_an_undefined_one_the_surfaces_mark() -> None:
    assert pgr_text(0.12345) == "0.123"
    assert pgr_text(-1.0) == "-1.000"
    assert pgr_text(None) == "n/a"
    assert fmt_pgr(None) == "—" and fmt_pgr(0.5) == "0.500"


def test_a_config_reads_by_its_telling_fields_in_their_order() -> None:
    text = "method=confident loss=xent lr=0.0003 early_stopping=true confident_fraction=0.473684"
    assert config_text(CONFIG) == text
    assert config_text(CONFIG, every_field=True) == text + " seed=3"


def test_the_report_the_headless_run_and_the_app_show_a_method_alike() -> None:
    method = json.dumps(CONFIG)
    expected = config_text(CONFIG)
    assert report_method(method) == expected
    assert headless_method(method) == expected
    assert describe_method(method, width=200) == config_text(CONFIG, every_field=True)


def test_every_surface_offers_the_same_post_kinds() -> None:
    assert POST_KINDS == ("hypothesis", "result", "insight", "error", "note")
    assert get_args(ForumPost.model_fields["kind"].annotation) == POST_KINDS
    assert get_args(ForumPostInput.model_fields["kind"].annotation) == POST_KINDS
    kind, none = get_args(ForumSearch.model_fields["kind"].annotation)
    assert get_args(kind) == POST_KINDS and none is type(None)
    assert get_args(SupervisorPost.model_fields["kind"].annotation) == HUMAN_POST_KINDS
    assert (None, *POST_KINDS) == FORUM_SCREEN_KINDS
    choices = {
        name: next(p.type.choices for p in ctl_cli.ctl.commands[name].params if p.name == "kind")
        for name in ("forum", "post")
    }
    assert tuple(choices["forum"]) == POST_KINDS
    assert tuple(choices["post"]) == HUMAN_POST_KINDS


async def test_the_forum_refuses_a_kind_it_does_not_know_naming_those_it_does(forum) -> None:
    with pytest.raises(ForumError, match="use one of hypothesis, result, insight, error, note"):
        await forum.post("a1", "rumour", "t", "b")
