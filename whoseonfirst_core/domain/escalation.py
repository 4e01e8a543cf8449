"""Escalation when nobody confirms a shift (pure rules; SPEC §4, two-way texts).

A span whose shift_start text was handed to Twilio asked its person to reply OK. If no OK has
come ``N`` minutes after the span's start (``TeamSnapshot.confirm_within_minutes``; counted from
the text's sending when that was later, see :attr:`AskedSpan.counted_from`), the member
is asked again on each of their phones that still takes texts (``confirm_reminder``); at
``2 × N`` the escalation contacts who take failure alerts are told (``unconfirmed_alert``). An OK
after that alert tells the same contacts once (``confirmed_notice``). A span that ended, or
that the schedule no longer gives its member (a cover handed it to someone else), escalates no
further. With ``confirm_requested`` off, or ``N`` = 0, nothing escalates.

Idempotency keys (one text per span and phone, ever, like ``domain.texts``):

- ``confirm_reminder:<span start UTC ISO>:m<member id>:<phone>:<local date of the span start>``
- ``unconfirmed_alert:<span start UTC ISO>:m<member id>:c<contact id>:<phone>``
- ``confirmed_notice:<span start UTC ISO>:m<member id>:c<contact id>:<phone>`` (the alert's key
  under its own kind: each contact the alert went to is told once)

Instants are UTC; the wall-clock values in the texts are in the team's zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from whoseonfirst_core.domain.notices import fmt_clock
from whoseonfirst_core.domain.notification import Kind
from whoseonfirst_core.domain.texts import PlannedText, TeamSnapshot, span_text_key
from whoseonfirst_core.domain.timeutil import fmt_local
from whoseonfirst_core.domain.wording import render_wording

#: An alert or a notice not handed to Twilio within this is stale.
CONTACT_VALIDITY = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class AskedSpan:
    """A span whose shift_start text went out (its person was asked to confirm), as the
    escalation rules see it. ``still_theirs``: the schedule resolved now still has this member
    on call for the span starting at ``span_start``; ``asked_at``: when its first shift_start
    text went to Twilio. Instants UTC."""

    member_id: int
    member_name: str
    shift_name: str
    span_start: datetime
    span_end: datetime
    confirmed_at: datetime | None
    still_theirs: bool
    asked_at: datetime

    @property
    def counted_from(self) -> datetime:
        """From when the minutes to confirm count: the span's start, or the text's sending if
        that was later (a text sent late after an outage gets its person the whole time)."""
        return max(self.span_start, self.asked_at)


@dataclass(frozen=True, slots=True)
class SentAlert:
    """An ``unconfirmed_alert`` text about a span, as the outbox holds it."""

    key: str
    recipient_name: str
    recipient_phone: str


def confirm_window(team: TeamSnapshot) -> timedelta | None:
    """``N``: how long after its start an unconfirmed span is asked again (None: never)."""
    if not team.confirm_requested or team.confirm_within_minutes <= 0:
        return None
    return timedelta(minutes=team.confirm_within_minutes)


def escalating(span: AskedSpan, now: datetime, within: timedelta) -> bool:
    """Whether ``span`` may take an escalation step at ``now``: unconfirmed, still its
    member's, not ended, and ``within`` past its start (a step the service was not running
    for is taken late, once)."""
    return (
        span.confirmed_at is None
        and span.still_theirs
        and span.counted_from + within <= now < span.span_end
    )


def escalation_instants(span: AskedSpan, now: datetime, within: timedelta) -> list[datetime]:
    """The instants (UTC) after ``now`` at which ``span`` takes its next steps."""
    if span.confirmed_at is not None or not span.still_theirs:
        return []
    steps = (span.counted_from + within, span.counted_from + 2 * within)
    return [at for at in steps if now < at < span.span_end]


def _span_key(span: AskedSpan) -> str:
    return f"{span.span_start.astimezone(UTC).isoformat(timespec='seconds')}:m{span.member_id}"


def _values(span: AskedSpan, team: TeamSnapshot) -> dict[str, str]:
    return {
        "name": span.member_name,
        "shift": span.shift_name,
        "start": fmt_local(span.span_start, team.tz),
        "end": fmt_local(span.span_end, team.tz),
        "team": team.team_name,
    }


def reminder_body(span: AskedSpan, team: TeamSnapshot) -> str:
    """``Please confirm your on-call shift: reply OK``, in the team's wording."""
    return render_wording(team.templates, Kind.CONFIRM_REMINDER, _values(span, team))


def unconfirmed_alert_body(span: AskedSpan, team: TeamSnapshot) -> str:
    """``Ann Archer has not confirmed the Tuesday shift (Tue 08:00 CST)``."""
    return render_wording(team.templates, Kind.UNCONFIRMED_ALERT, _values(span, team))


def confirmed_notice_body(span: AskedSpan, confirmed_at: datetime, team: TeamSnapshot) -> str:
    """``Ann Archer confirmed at 08:41 CST``."""
    values = _values(span, team) | {"time": fmt_clock(confirmed_at, team.tz)}
    return render_wording(team.templates, Kind.CONFIRMED_NOTICE, values)


def escalation_texts(
    span: AskedSpan, alerts: Sequence[SentAlert], now: datetime, team: TeamSnapshot
) -> list[PlannedText]:
    """The escalation texts ``span`` calls for at ``now`` (``alerts``: the unconfirmed alerts
    already in the outbox about it). Planned again every tick; the keys make each go once."""
    if span.confirmed_at is not None:
        return _confirmed_notices(span, span.confirmed_at, alerts, now, team)
    within = confirm_window(team)
    if within is None or not span.still_theirs or now >= span.span_end:
        return []
    out: list[PlannedText] = []
    member = team.members.get(span.member_id)
    asked_again = span.counted_from + within
    if now >= asked_again and member is not None:
        body = reminder_body(span, team)
        out += [
            PlannedText(
                key=span_text_key(
                    Kind.CONFIRM_REMINDER, span.span_start, span.member_id, phone, team.tz
                ),
                kind=Kind.CONFIRM_REMINDER,
                due_at=asked_again,
                expires_at=span.span_end,
                member_id=span.member_id,
                recipient_name=span.member_name,
                recipient_phone=phone,
                body=body,
                span_start=span.span_start,
                span_end=span.span_end,
                shift_name=span.shift_name,
            )
            for phone in member.phones
        ]
    alert_at = span.counted_from + 2 * within
    if now >= alert_at:
        body = unconfirmed_alert_body(span, team)
        out += [
            PlannedText(
                key=f"{Kind.UNCONFIRMED_ALERT}:{_span_key(span)}:c{contact.id}:{phone}",
                kind=Kind.UNCONFIRMED_ALERT,
                due_at=alert_at,
                expires_at=min(span.span_end, now + CONTACT_VALIDITY),
                member_id=None,
                recipient_name=contact.name,
                recipient_phone=phone,
                body=body,
                span_start=span.span_start,
                span_end=span.span_end,
                shift_name=span.shift_name,
            )
            for contact in team.alert_contacts
            for phone in contact.phones[:1]
        ]
    return out


def _confirmed_notices(
    span: AskedSpan,
    confirmed_at: datetime,
    alerts: Sequence[SentAlert],
    now: datetime,
    team: TeamSnapshot,
) -> list[PlannedText]:
    """One notice to each contact an unconfirmed alert about ``span`` went to."""
    body = confirmed_notice_body(span, confirmed_at, team)
    prefix = f"{Kind.UNCONFIRMED_ALERT}:"
    return [
        PlannedText(
            key=f"{Kind.CONFIRMED_NOTICE}:{alert.key.removeprefix(prefix)}",
            kind=Kind.CONFIRMED_NOTICE,
            due_at=now,
            expires_at=now + CONTACT_VALIDITY,
            member_id=None,
            recipient_name=alert.recipient_name,
            recipient_phone=alert.recipient_phone,
            body=body,
            span_start=span.span_start,
            span_end=span.span_end,
            shift_name=span.shift_name,
        )
        for alert in alerts
        if alert.key.startswith(prefix)
    ]
