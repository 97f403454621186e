"""Themes as data (the project's, a user's, bad input) and a user's keymap."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from aar_tui.cli import cli
from aar_tui.errors import ThemeError
from aar_tui.themes import check_theme_name, load_themes, parse_theme
from tests.tui.conftest import make_app, settle
from tests.tui.fake_view import FakeView
from themes import THEMES_DIR

MINE = """name = "mine"
primary = "#ff8800"
dark = true
"""


def test_project_themes_are_a_dark_and_a_light_one() -> None:
    loaded = load_themes(())
    assert loaded.problems == ()
    assert loaded.themes["aar-dark"].dark and not loaded.themes["aar-light"].dark
    assert {p.stem for p in THEMES_DIR.glob("*.toml")} == {"aar-dark", "aar-light"}


async def test_user_theme_from_the_config_directory_is_offered_and_used(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(MINE)
    app = make_app(theme="mine", theme_dirs=(tmp_path,))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "mine"
        assert "aar-light" in app.available_themes


def test_broken_theme_file_names_the_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('name = "bad"\nprimary = "not a colour"\n')
    (tmp_path / "odd.toml").write_text('name = "odd"\nprimary = "#000000"\nsparkle = 1\n')
    loaded = load_themes((tmp_path,))
    assert "bad" not in loaded.themes and "odd" not in loaded.themes
    assert any("bad.toml" in p and "`primary`" in p for p in loaded.problems)
    assert any("odd.toml" in p and "sparkle" in p for p in loaded.problems)
    with pytest.raises(ThemeError, match="not readable TOML"):
        (tmp_path / "junk.toml").write_text("name = ")
        parse_theme(tmp_path / "junk.toml")


def test_unknown_theme_name_lists_the_names_allowed() -> None:
    with pytest.raises(ThemeError, match="aar-light") as err:
        check_theme_name("nope", load_themes(()))
    assert "'nope'" in str(err.value)


def test_aar_run_refuses_an_unknown_theme_before_preparing_anything() -> None:
    result = CliRunner().invoke(cli, ["run", "--theme", "nope"])
    assert result.exit_code != 0
    assert "unknown theme 'nope'" in result.output
    assert "Traceback" not in result.output
    assert "preparing" not in result.output


def test_aar_attach_refuses_an_unknown_theme_before_connecting() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    knocks: list[object] = []

    def answer() -> None:  # a run's API that hangs up on whoever connects, noting them
        while True:
            try:
                conn, peer = server.accept()
            except OSError:
                return
            knocks.append(peer)
            conn.close()

    threading.Thread(target=answer, daemon=True).start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}"
    try:
        result = CliRunner().invoke(
            cli, ["attach", "--theme", "nope", url], env={"AAR_TOKEN": "t" * 32}
        )
    finally:
        server.shutdown(socket.SHUT_RDWR)
        server.close()
    assert result.exit_code != 0
    assert "unknown theme 'nope'" in result.output and "aar-dark" in result.output
    assert "Traceback" not in result.output
    assert knocks == []


async def test_switching_theme_redraws_with_the_new_colours() -> None:
    view = FakeView()
    app = make_app(view)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        before = app.export_screenshot()
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert app.theme != "aar-dark"
        assert app.export_screenshot() != before


async def test_user_keymap_rebinds_a_key_by_its_id(tmp_path: Path) -> None:
    keymap = tmp_path / "keymap.toml"
    keymap.write_text('"aar.agent.pause" = "s"\n"aar.no.such" = "k"\n')
    view = FakeView()
    app = make_app(view, keymap_path=keymap)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert [c.command for c in view.commands] == ["pause"]
        assert "aar.no.such" in " ".join(app.keymap_problems)
