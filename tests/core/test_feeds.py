"""The calendar files (``export-ics``), read back with vobject — a second iCalendar library,
not the writer — and checked event by event against ``preview --json`` over the window, which
holds both of Chicago's DST changes, through a cover across the spring-forward night and its
cancellation; and the feed links (random tokens stored as hashes)."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import vobject
from sqlalchemy import select
from whoseonfirst_service.cli import main

from tests.core.helpers import load, roster
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import FeedToken
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.ical import DAYS_AHEAD, DAYS_BACK
from whoseonfirst_core.usecases.calendar import CancelOverride, Cover, apply_calendar_plan
from whoseonfirst_core.usecases.common import find_member
from whoseonfirst_core.usecases.errors import NotFoundError
from whoseonfirst_core.usecases.feeds import (
    calendar_ics,
    create_link,
    has_link,
    member_for_token,
)

CHICAGO_DST_START = datetime(2026, 3, 8, 8, tzinfo=UTC)  # 02:00 CST
#: Sunday 2026-03-01 06:00 in Chicago: the window runs from 2025-12-01 to 2027-03-01.
START = datetime(2026, 3, 1, 12, tzinfo=UTC)
FIRST_DAY = "2025-12-01"
DAYS = DAYS_BACK + DAYS_AHEAD + 1


@dataclass(frozen=True)
class Ev:
    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str
    sequence: int
    last_modified: datetime
    offset: timedelta | None  # of DTSTART, as the reader's VTIMEZONE gives it


def run(clock: FixedClock, url: str, *argv: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    assert main(list(argv), clock=clock, out=out, err=err) == 0, err.getvalue()
    return out.getvalue()


def read(text: str, status: str = "CONFIRMED") -> list[Ev]:
    """The events of ``status`` (a file also lists the pieces of cancelled covers, CANCELLED)."""
    cal = vobject.readOne(text)
    assert cal.vtimezone.tzid.value == "America/Chicago"
    events = []
    for v in cal.vevent_list:
        if v.status.value != status:
            continue
        events.append(
            Ev(
                uid=v.uid.value,
                start=v.dtstart.value.astimezone(UTC),
                end=v.dtend.value.astimezone(UTC),
                summary=v.summary.value,
                description=v.description.value,
                sequence=int(v.sequence.value),
                last_modified=v.last_modified.value,
                offset=v.dtstart.value.utcoffset(),
            )
        )
    # Local times in the team's zone (the reader applied its VTIMEZONE), never UTC or floating.
    assert text.count("DTSTART;TZID=America/Chicago:") == len(cal.vevent_list)
    assert text.count("DTEND;TZID=America/Chicago:") == len(cal.vevent_list)
    return events


def expected(entries: list[dict[str, Any]]) -> list[tuple[datetime, datetime, str]]:
    rows = []
    for e in entries:
        member, scheduled = e["member"], e["scheduled_member"]
        summary = (
            f"{member} covers {scheduled}"
            if e["override"] and scheduled and scheduled != member
            else f"On call: {member}"
        )
        rows.append((datetime.fromisoformat(e["start"]), datetime.fromisoformat(e["end"]), summary))
    return sorted(rows)


def check_against_preview(clock: FixedClock, url: str, events: list[Ev]) -> None:
    import json

    preview = json.loads(
        run(clock, url, "preview", "--from", FIRST_DAY, "--days", str(DAYS), "--json")
    )
    assert sorted((e.start, e.end, e.summary) for e in events) == expected(preview["entries"])
    assert len({e.uid for e in events}) == len(events)


@pytest.fixture
def team(db: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", db.url)
    load(db, roster(4, anchor="2026-02-23"), START - timedelta(days=1))
    return db


def saturday(events: list[Ev]) -> Ev:
    """The shift across the spring-forward night (Sat 08:00 CST → Sun 08:00 CDT: 23 h)."""
    return next(e for e in events if e.start == datetime(2026, 3, 7, 14, tzinfo=UTC))


def test_every_event_is_the_preview_through_a_cover_and_its_cancellation(team: Database) -> None:
    clock = FixedClock(START)
    url = team.url
    before = read(run(clock, url, "export-ics", "-"))
    check_against_preview(clock, url, before)
    assert run(clock, url, "export-ics", "-") == run(clock, url, "export-ics", "-")
    sat = saturday(before)
    assert sat.end - sat.start == timedelta(hours=23)
    offsets = {e.offset for e in before}
    assert offsets == {timedelta(hours=-6), timedelta(hours=-5)}  # both sides of both changes
    assert min(e.start for e in before) < START - timedelta(days=2)
    assert max(e.start for e in before) > START + timedelta(days=360)
    assert all(e.description.startswith("Shift: ") for e in before)
    assert "+1312" not in run(clock, url, "export-ics", "-")  # no phone in the team's file

    # A cover in the middle of that shift, across the DST change: 20:00 CST → 06:00 CDT.
    with team.uow("admin") as uow:
        ann = find_member(uow, "Ann")
        assert ann is not None
        cover_start, cover_end = (
            datetime(2026, 3, 8, 2, tzinfo=UTC),
            datetime(2026, 3, 8, 11, tzinfo=UTC),
        )
        clock.advance(timedelta(hours=1))
        (made,) = apply_calendar_plan(uow, clock.now(), [Cover(ann.id, cover_start, cover_end)])
        uow.commit()
    covered = read(run(clock, url, "export-ics", "-"))
    check_against_preview(clock, url, covered)
    head = next(e for e in covered if e.uid == sat.uid)
    assert (head.start, head.end, head.sequence) == (sat.start, cover_start, sat.sequence + 1)
    assert head.last_modified == clock.now()
    cover = next(e for e in covered if e.start == cover_start)
    assert cover.summary == "Ann covers " + sat.summary.removeprefix("On call: ")
    hand_back = next(e for e in covered if e.start == cover_end)
    assert hand_back.end == sat.end and hand_back.summary == sat.summary
    assert len({sat.uid, cover.uid, hand_back.uid}) == 3
    unchanged = {e.uid: e for e in before if e.uid != sat.uid}
    assert [e for e in covered if e.uid in unchanged] == list(unchanged.values())

    # Cancelled: the shift is whole again under the same UID, one revision later.
    clock.advance(timedelta(hours=1))
    with team.uow("admin") as uow:
        apply_calendar_plan(uow, clock.now(), [CancelOverride(made.id)])
        uow.commit()
    text = run(clock, url, "export-ics", "-")
    after = read(text)
    check_against_preview(clock, url, after)
    again = next(e for e in after if e.uid == sat.uid)
    assert (again.start, again.end, again.summary) == (sat.start, sat.end, sat.summary)
    assert again.sequence == head.sequence + 1 and again.last_modified == clock.now()
    assert {e.uid for e in after} == {e.uid for e in before}
    # The cover and its hand-back stay in the file, cancelled under their UIDs, one revision on,
    # so a calendar that imported the older file drops them.
    gone = {e.uid: e for e in read(text, "CANCELLED")}
    assert set(gone) == {cover.uid, hand_back.uid}
    for old in (cover, hand_back):
        assert (gone[old.uid].start, gone[old.uid].end, gone[old.uid].summary) == (
            old.start,
            old.end,
            old.summary,
        )
        assert gone[old.uid].sequence == old.sequence + 1
    ann_file = run(clock, url, "export-ics", "--member", "Ann", "-")
    assert [e.uid for e in read(ann_file, "CANCELLED")] == [cover.uid]
    with team.reader() as uow:  # a subscribed feed is replaced whole: it just leaves them out
        assert b"STATUS:CANCELLED" not in calendar_ics(uow, clock.now())


def test_a_members_file_holds_their_shifts_and_their_numbers(team: Database) -> None:
    clock = FixedClock(START)
    events = read(run(clock, team.url, "export-ics", "--member", "Ben", "-"))
    team_events = read(run(clock, team.url, "export-ics", "-"))
    assert events and events == [
        Ev(
            e.uid,
            e.start,
            e.end,
            e.summary,
            e.description + "\nThe team texts you at +13125550102",
            e.sequence,
            e.last_modified,
            e.offset,
        )
        for e in team_events
        if e.summary == "On call: Ben"
    ]


def test_export_ics_writes_an_owner_only_file(team: Database, tmp_path: Any) -> None:
    path = tmp_path / "team.ics"
    run(FixedClock(START), team.url, "export-ics", str(path))
    assert path.stat().st_mode & 0o777 == 0o600
    assert read(path.read_text())


def test_links_are_random_stored_as_hashes_and_reset(sqlite_db: Database) -> None:
    load(sqlite_db, roster(3))
    with sqlite_db.uow("admin") as uow:
        ben = find_member(uow, "Ben")
        assert ben is not None
        team_token = create_link(uow, START, None)
        ben_token = create_link(uow, START, ben.id)
        uow.commit()
    assert team_token and ben_token and team_token != ben_token
    assert len(team_token) >= 43  # 256 bits, base64url
    with sqlite_db.uow("admin") as uow:
        stored = set(uow.session.scalars(select(FeedToken.token_hash)))
        assert stored == {hashlib.sha256(t.encode()).hexdigest() for t in (team_token, ben_token)}
        assert member_for_token(uow, team_token) is not None
        assert member_for_token(uow, team_token).member_id is None  # type: ignore[union-attr]
        assert member_for_token(uow, ben_token).member_id == ben.id  # type: ignore[union-attr]
        for wrong in ("", "x", team_token[:-1], team_token + "A", team_token.upper()):
            assert member_for_token(uow, wrong) is None
        assert create_link(uow, START, None) is None  # exists: it cannot be shown again
        assert has_link(uow, None) and has_link(uow, ben.id)
        new = create_link(uow, START, None, reset=True)
        uow.commit()
    with sqlite_db.reader() as uow:
        assert new is not None and member_for_token(uow, new) is not None
        assert member_for_token(uow, team_token) is None  # the reset link stops working


def test_an_archived_members_link_stops_working(sqlite_db: Database) -> None:
    from whoseonfirst_core.db.models import Member

    load(sqlite_db, roster(3))
    with sqlite_db.uow("admin") as uow:
        cal = find_member(uow, "Cal")
        assert cal is not None
        token = create_link(uow, START, cal.id)
        member = uow.session.get(Member, cal.id)
        assert member is not None and token is not None
        member.archived = True
        uow.commit()
    with sqlite_db.uow("admin") as uow:
        assert member_for_token(uow, token) is None
        with pytest.raises(NotFoundError):
            create_link(uow, START, cal.id)
