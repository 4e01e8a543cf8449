"""Templates, segments, local-time formatting and the weekly summary text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.core.helpers import d, load, roster
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.templates import (
    DEFAULT_SHIFT_START_TEMPLATE,
    SummaryPerson,
    TemplateError,
    render,
    segment_info,
    shift_start_values,
    summary_week_start,
    template_problems,
    validate_template,
    weekly_summary_text,
)
from whoseonfirst_core.domain.timeutil import fmt_local, zone
from whoseonfirst_core.usecases import calendar, schedule, team

CHI = zone("America/Chicago")


def test_unknown_placeholders_are_named() -> None:
    problems = template_problems("Hi {name}, {when} and {oops}")
    assert problems and "{when}" in problems[0] and "{oops}" in problems[0]
    with pytest.raises(TemplateError, match="unknown placeholder"):
        validate_template("{nmae}")
    assert template_problems("Hi {name!r}") == ["placeholder {name} takes no format or conversion"]
    assert "unbalanced" in template_problems("Hi {name")[0]
    assert template_problems(DEFAULT_SHIFT_START_TEMPLATE) == []


def test_default_text_uses_the_zone_abbreviation_of_each_instant() -> None:
    start = datetime(2026, 3, 3, 14, tzinfo=UTC)  # Tue 08:00 CST
    end = datetime(2026, 3, 10, 13, tzinfo=UTC)  # Tue 08:00 CDT a week later
    values = shift_start_values(name="Ann", start=start, end=end, shift="X", team="T", tz=CHI)
    text = render(DEFAULT_SHIFT_START_TEMPLATE, values)
    assert text == (
        "WhoseOnFirst: Hi Ann, you are on call from Tue 08:00 CST until Tue 08:00 CDT (168h)."
    )
    assert fmt_local(datetime(2026, 7, 1, 13, tzinfo=UTC), CHI) == "Wed 08:00 CDT"


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # extension characters count twice
        ("€" * 81, "GSM-7", 2),
        ("ü" * 160, "GSM-7", 1),
        ("ş" * 70, "UCS-2", 1),
        ("ş" * 71, "UCS-2", 2),
        ("ş" * 134, "UCS-2", 2),
        ("😀" * 35, "UCS-2", 1),  # surrogate pairs: two units each
        # An extension character never straddles two segments: 152 + 2 fills the first
        # segment's 153 septets only by cutting the €, so it starts the second.
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 3),
        ("a" * 151 + "€" + "a" * 153, "GSM-7", 2),
        # Nor does a surrogate pair: 66 + 2 units cannot end the first 67-unit segment.
        ("Ж" * 66 + "🙂" + "Ж" * 66, "UCS-2", 3),
        ("Ж" * 65 + "🙂" + "Ж" * 67, "UCS-2", 2),
        ("", "GSM-7", 0),
    ],
)
def test_segment_counts(text: str, encoding: str, segments: int) -> None:
    info = segment_info(text)
    assert (info.encoding, info.segments) == (encoding, segments)


def test_weekly_summary_at_exactly_monday_8am_shows_the_current_week(db: Database) -> None:
    load(db, roster(7))
    with db.reader() as uow:
        ben = next(m for m in team.list_members(uow) if m.name == "Ben")
        gus = next(m for m in team.list_members(uow) if m.name == "Gus")
    now = datetime(2026, 3, 9, 13, 0, tzinfo=UTC)  # Mon 2026-03-09 08:00 CDT exactly
    fri = datetime(2026, 3, 13, 13, 0, tzinfo=UTC)
    with db.uow("t") as uow:
        calendar.add_override(uow, now, calendar.Cover(ben.id, fri, fri + timedelta(days=1)))
        uow.commit()
    week = summary_week_start(now, CHI)
    assert week == d("2026-03-09")
    with db.reader() as uow:
        view = schedule.preview(uow, week, 7)
        people = {m.id: SummaryPerson(m.name, m.phone) for m in team.list_members(uow)}
    from whoseonfirst_core.domain.resolution import ResolvedSpan

    spans = [
        ResolvedSpan(
            s.start,
            s.end,
            s.member_id,
            s.shift_name,
            s.entry_id,
            s.scheduled_member_id,
            s.override_id,
            s.notify,
        )
        for s in view.spans
    ]
    text = weekly_summary_text(week, spans, people, CHI)
    lines = text.splitlines()
    assert lines[0] == "WhoseOnFirst schedule Mar 9 - Mar 15"
    assert lines[1] == f"Mon 3/9: Gus {gus.phone}"
    assert lines[2] == "Tue 3/10: Ann +13125550101 (48h)"
    assert lines[3] == "Wed 3/11: Ann (continues)"
    assert lines[5] == f"Fri 3/13: Ben {ben.phone}"  # the override, applied
    assert len(lines) == 8


def test_summary_marks_continues_and_no_coverage() -> None:
    from whoseonfirst_core.domain.resolution import ResolvedSpan

    tue = datetime(2026, 3, 3, 14, tzinfo=UTC)
    spans = [ResolvedSpan(tue, tue + timedelta(hours=48), 1, "TW", 1, 1, None, True)]
    text = weekly_summary_text(
        d("2026-03-02"), spans, {1: SummaryPerson("Ann", "+13125550101")}, CHI
    )
    lines = text.splitlines()
    assert lines[1] == "Mon 3/2: NO COVERAGE"
    assert lines[2] == "Tue 3/3: Ann +13125550101 (48h)"
    assert lines[3] == "Wed 3/4: Ann (continues)"
    assert lines[4] == "Thu 3/5: Ann (continues)"
    assert lines[5] == "Fri 3/6: NO COVERAGE"
