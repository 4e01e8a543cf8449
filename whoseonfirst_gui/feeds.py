"""The calendar from the app: File ▸ Export calendar… (an iCalendar file of the team's or one
member's shifts) and the Team page's "Copy calendar link" / "Reset link" (the feed link the
service serves, shown once and put on the clipboard). The core makes the file and the links;
this module asks whose, where, and tells the result."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QWidget

from whoseonfirst_core.usecases.dto import MemberDTO
from whoseonfirst_core.usecases.feeds import calendar_file, create_link, feed_base_url, feed_url
from whoseonfirst_core.usecases.team import list_members
from whoseonfirst_gui.context import AppContext

#: The first choice of "Whose calendar?".
WHOLE_TEAM = "The whole team"


def export_calendar(
    parent: QWidget, ctx: AppContext, path: str | None = None, *, member_id: int | None = None
) -> None:
    """Write the calendar file to ``path`` (the team's, or ``member_id``'s); without a path,
    ask whose calendar and where."""
    if path is not None:
        _write(ctx, path, member_id)
        return
    db = ctx.db

    def members() -> list[MemberDTO]:
        with db.reader() as uow:
            return list_members(uow, include_archived=False)

    def ask(listed: list[MemberDTO]) -> None:
        names = [WHOLE_TEAM] + [m.name for m in listed]
        name, ok = QInputDialog.getItem(
            parent, "Export calendar", "Whose calendar?", names, 0, False
        )
        if not ok:
            return
        chosen = next((m for m in listed if m.name == name), None)
        default = "on-call.ics" if chosen is None else f"on-call {chosen.name}.ics"
        target, _ = QFileDialog.getSaveFileName(
            parent, "Export calendar", default, "iCalendar files (*.ics)"
        )
        if target:
            _write(ctx, target, chosen.id if chosen is not None else None)

    ctx.runner.submit(members, ask)


def _write(ctx: AppContext, path: str, member_id: int | None) -> None:
    db, actor, clock = ctx.db, ctx.actor, ctx.clock

    def task() -> str:
        from whoseonfirst_core.roster import write_roster_file  # not at start-up (pydantic)

        with db.uow(actor) as uow:  # never committed: planning ahead of the horizon is undone
            data = calendar_file(uow, clock.now(), member_id)
        write_roster_file(path, data.decode("utf-8"))  # owner-only: a member's lists phones
        return path

    ctx.runner.submit(task, lambda p: ctx.messages.flash(f"Exported the calendar to {p}."))


def copy_calendar_link(ctx: AppContext, member: MemberDTO | None, *, reset: bool) -> None:
    """Make the link of ``member``'s feed (None: the team's), copy it to the clipboard and show
    it once; ``reset`` replaces an existing one. Links start with ``WHOSEONFIRST_FEEDS_URL``
    (as the service's ``feed-link`` prints them)."""
    db, actor, clock = ctx.db, ctx.actor, ctx.clock
    whose = f"{member.name}'s calendar" if member is not None else "The team's calendar"

    def task() -> str | None:
        with db.uow(actor) as uow:
            token = create_link(
                uow, clock.now(), member.id if member is not None else None, reset=reset
            )
            uow.commit()
        return token

    def done(token: str | None) -> None:
        if token is None:
            ctx.messages.info(
                "The calendar already has a link",
                f"{whose} already has a link. It is shown only when it is made. "
                "Reset link makes a new one (the old one stops working).",
            )
            return
        url = feed_url(feed_base_url(os.environ.get("WHOSEONFIRST_FEEDS_URL"), None), token)
        QApplication.clipboard().setText(url)
        ctx.messages.info(
            "Calendar link copied",
            f"{url}\n\nThe link to {whose[0].lower() + whose[1:]} is on the clipboard. It is "
            "shown only now: subscribe to it in Outlook or Google Calendar, or keep it safe.",
        )

    ctx.runner.submit(task, done)
