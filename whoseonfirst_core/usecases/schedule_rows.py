"""The resolved schedule as rows: the one shape of ``preview --json``, ``preview --csv`` and
the app's "Export schedule as CSV…", so the three always agree value for value. The JSON also
carries each span's marks (a conflict with time off, the holidays it touches); the CSV keeps
its six columns."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from whoseonfirst_core.domain.planner import holiday_names
from whoseonfirst_core.domain.templates import SummaryMarks
from whoseonfirst_core.domain.timeutil import iso_local, zone
from whoseonfirst_core.usecases.dto import ScheduleView

#: The columns of the CSV, and the keys of each ``preview --json`` entry, in this order.
SCHEDULE_COLUMNS = ("start", "end", "shift", "member", "scheduled_member", "override")


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """One resolved span: ``start``/``end`` ISO 8601 in the team's zone with the offset of each
    instant (``2026-03-08T08:00:00-05:00``), seconds precision."""

    start: str
    end: str
    shift: str
    member: str
    scheduled_member: str | None
    override: bool
    #: ``time off: vacation`` when the person on call is away, else None.
    conflict: str | None = None
    #: The holidays the span touches (``Christmas Day``), else None.
    holiday: str | None = None

    def as_json(self) -> dict[str, str | bool | None]:
        return {
            "start": self.start,
            "end": self.end,
            "shift": self.shift,
            "member": self.member,
            "scheduled_member": self.scheduled_member,
            "override": self.override,
            "conflict": self.conflict,
            "holiday": self.holiday,
        }


def schedule_rows(view: ScheduleView, marks: SummaryMarks | None = None) -> list[ScheduleRow]:
    """The spans of ``view`` (overrides applied), in order, with local times and names, and
    their ``marks`` (see :func:`~whoseonfirst_core.usecases.planner.span_marks`) if given."""
    tz = zone(view.timezone)
    return [
        ScheduleRow(
            start=iso_local(s.start, tz),
            end=iso_local(s.end, tz),
            shift=s.shift_name,
            member=s.member_name,
            scheduled_member=s.scheduled_member_name,
            override=s.is_override,
            conflict=marks.conflicts.get((s.start, s.member_id)) if marks else None,
            holiday=holiday_names(s.start, s.end, marks.holidays, tz) if marks else None,
        )
        for s in view.spans
    ]


def schedule_csv(view: ScheduleView) -> str:
    """The rows of ``view`` as CSV (RFC 4180: a header line, CRLF line ends, quoted where
    needed): ``override`` is ``true``/``false`` as in the JSON, and a span with nobody scheduled
    under it (a cover of a gap) has an empty ``scheduled_member``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(SCHEDULE_COLUMNS)
    for r in schedule_rows(view):
        writer.writerow(
            (
                r.start,
                r.end,
                r.shift,
                r.member,
                r.scheduled_member or "",
                "true" if r.override else "false",
            )
        )
    return buffer.getvalue()
