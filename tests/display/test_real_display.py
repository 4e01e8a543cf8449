"""The main gestures with a real mouse and keyboard on a real X server (see conftest.py):
drag a person onto a shift and save, swap two shifts, undo and redo, the reason popup at a
drop near the screen's edge, and the Settings page at 1024×700 with an emoji template."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tests.display.conftest import SCREEN, DrivenApp, XServer
from whoseonfirst_core.db.models import Override
from whoseonfirst_core.db.session import Database

EMOJI_TEMPLATE = "📟 {name}, you are on call from {start} to {end}. Reply OK."


def center(rect: list[int]) -> tuple[int, int]:
    x, y, w, h = rect
    return x + w // 2, y + h // 2


def inside(outer: list[int], inner: list[int]) -> bool:
    ox, oy, ow, oh = outer
    ix, iy, iw, ih = inner
    return ox <= ix and oy <= iy and ix + iw <= ox + ow and iy + ih <= oy + oh


def drag(x: XServer, start: tuple[int, int], end: tuple[int, int]) -> None:
    """Press, move in steps (past the drag distance, then across), release: a hand's drag."""
    (x0, y0), (x1, y1) = start, end
    steps: list[str | int] = ["mousemove", "--sync", x0, y0, "mousedown", "1"]
    for i in range(1, 11):
        steps += ["sleep", "0.05", "mousemove", x0 + (x1 - x0) * i // 10, y0 + (y1 - y0) * i // 10]
    steps += ["sleep", "0.2", "mouseup", "1"]
    x.xdotool(*steps)


def overrides(url: str) -> int:
    db = Database(url)
    try:
        with db.reader() as uow:
            return int(uow.session.scalar(select(func.count()).select_from(Override)) or 0)
    finally:
        db.dispose()


def test_drag_a_person_onto_a_shift_then_save(
    x_server: XServer, app: DrivenApp, demo_url: str
) -> None:
    where = app.ask("page", slug="calendar")
    where = app.wait_for(lambda w: "2026-03-05" in w["chips"], "the calendar")
    drag(x_server, center(where["members"]["Gus Grant"]), center(where["chips"]["2026-03-05"]))
    where = app.wait_for(lambda w: w["popup"] is not None, "the reason popup")
    x_server.screenshot("calendar-reason-popup")
    x_server.xdotool("type", "--delay", "20", "dentist")
    x_server.xdotool("key", "Return")
    app.wait_for(lambda w: w["pending"] == 1 and w["popup"] is None, "one pending edit")
    x_server.xdotool("key", "ctrl+s")
    app.wait_for(lambda w: w["pending"] == 0, "the save")
    assert overrides(demo_url) == 1
    x_server.screenshot("calendar-saved")


def test_swap_two_shifts_then_undo_and_redo(x_server: XServer, app: DrivenApp) -> None:
    app.ask("page", slug="calendar")
    where = app.wait_for(lambda w: "2026-03-07" in w["chips"], "the calendar")
    drag(x_server, center(where["chips"]["2026-03-06"]), center(where["chips"]["2026-03-07"]))
    app.wait_for(lambda w: w["popup"] is not None, "the reason popup")
    x_server.xdotool("key", "Return")
    app.wait_for(lambda w: w["pending"] == 1, "the swap pending")
    x_server.screenshot("calendar-swap")
    x_server.xdotool("key", "ctrl+z")
    app.wait_for(lambda w: w["pending"] == 0, "the undo")
    x_server.xdotool("key", "ctrl+shift+z")
    app.wait_for(lambda w: w["pending"] == 1, "the redo")


def test_the_reason_popup_near_the_screen_edge_stays_on_screen(
    x_server: XServer, app: DrivenApp
) -> None:
    app.ask("page", slug="calendar")
    app.ask("maximize")
    where = app.wait_for(
        lambda w: "2026-03-08" in w["chips"] and w["window"][2] >= SCREEN[0] - 10, "maximised"
    )
    sat, sun = where["chips"]["2026-03-07"], where["chips"]["2026-03-08"]
    # Drop at the bottom-right corner of Sunday's tile: the far edge of the screen.
    drop = (sun[0] + sun[2] - 3, sun[1] + sun[3] - 3)
    drag(x_server, center(sat), drop)
    where = app.wait_for(lambda w: w["popup"] is not None, "the reason popup")
    x_server.screenshot("calendar-popup-at-the-edge")
    popup: dict[str, Any] = where["popup"]
    assert inside(where["screen"], popup["frame"]), where
    assert inside(where["screen"], popup["ok"]), where
    x_server.xdotool("key", "Escape")


def test_settings_at_1024_by_700_with_an_emoji_template_shows_both_columns(
    x_server: XServer, app: DrivenApp
) -> None:
    app.ask("geometry", width=SCREEN[0], height=SCREEN[1])
    app.ask("page", slug="settings")
    app.ask("template", text=EMOJI_TEMPLATE)
    where = app.wait_for(lambda w: "Unicode" in w["segments"], "the segment count")
    x_server.screenshot("settings-1024x700-emoji")
    assert where["settings_sideways"] == 0
    boxes = where["settings"]
    viewport = where["settings_viewport"]
    for title in ("Weekly summary", "Escalation contacts"):
        left, width = boxes[title][0], boxes[title][2]
        assert viewport[0] <= left and left + width <= viewport[0] + viewport[2], (title, where)
        assert left + width <= where["screen"][0] + where["screen"][2], (title, where)
    assert boxes["Weekly summary"][0] >= boxes["Team"][0] + boxes["Team"][2]  # beside, not below
