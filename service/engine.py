"""The notification engine: one :meth:`Engine.tick` is one pass of due work (SPEC §4, §5).

A tick is a function of the database and ``clock.now()`` — no timers in memory, no sleeps. Each
step runs in its own short transaction:

1. remember the first tick on this database (``Meta`` ``service_first_tick_at``), and
   whether every tick so far pretended the time (``usecases.rehearsal``);
2. extend the schedule horizon, complete ended overrides;
3. plan (:mod:`whoseonfirst_core.usecases.due`): every text the resolved schedule calls for
   that is due now, inserted idempotently (``INSERT … ON CONFLICT DO NOTHING`` on its
   idempotency key). Catch-up (point 3): a span still
   running gets its text, late and unchanged; a span that ended since the last completed tick
   without any text becomes a ``missed`` row (alerted, never texted); spans that ended before the
   first tick on this database are ignored. A queued shift_start text follows its span as
   overrides change it (validity, so Twilio's ValidityPeriod, and body), and expires when its
   span is gone (:func:`~whoseonfirst_core.usecases.due.follow_spans`);
   then change notices (:mod:`whoseonfirst_core.usecases.notices`): each person's on-call in
   the notice window against what they were last told; a difference is one notice, after the
   bundling delay and outside quiet hours, or at once for a running span;
   then escalation (:mod:`whoseonfirst_core.usecases.escalation`): a span not confirmed N
   minutes after its start asks its person again, at 2 × N the failure-alert contacts are
   told, and an OK after that tells them once more;
4. queued rows past their validity become ``expired``;
5. send (:mod:`whoseonfirst_service.sending`): claim one row atomically and commit the claim
   and the attempt row *before* calling Twilio, send, record. Transient errors go back to
   ``queued`` with exponential backoff and jitter until the text expires; permanent errors are
   ``failed`` at once; an ambiguous send (and a row left in ``sending`` by a process that died)
   is reconciled by listing recent messages to that number before any retry, so it is neither
   lost nor sent twice;
6. poll Twilio for the status of ``sent`` rows until delivered, undelivered or failed;
7. failure alerts: when every phone of a span's shift_start failed, expired, was missed or was
   not delivered within 15 minutes, one alert per opted-in escalation contact naming the
   member, the shift and the reason, sent in the same tick. Only shift_start texts raise alerts:
   a weekly summary that could not go out in time is recorded ``missed``/``expired`` and shown
   in the app, and a failed test text is visible where it was sent from;
8. the SMS side's health (:func:`whoseonfirst_core.domain.service_state.sms_health`: are
   texts going out?), stored with the heartbeat, and ``Meta`` ``service_last_tick_at``.

Every instant is timezone-aware UTC from the injected clock.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from whoseonfirst_core.clock import Clock
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.masking import mask_phone
from whoseonfirst_core.domain.notification import Kind, Status
from whoseonfirst_core.domain.replies import InboundText
from whoseonfirst_core.domain.service_state import SMS_OK
from whoseonfirst_core.domain.texts import PlannedText
from whoseonfirst_core.domain.timeutil import fmt_local_long
from whoseonfirst_core.usecases import (
    escalation,
    heartbeat,
    inbound,
    notices,
    outbox,
    rehearsal,
    retention,
)
from whoseonfirst_core.usecases.calendar import complete_ended_overrides
from whoseonfirst_core.usecases.common import has_team
from whoseonfirst_core.usecases.dto import HeartbeatDTO
from whoseonfirst_core.usecases.due import (
    due_texts,
    follow_spans,
    next_due_at,
    raise_failure_alerts,
)
from whoseonfirst_core.usecases.schedule import extend_horizon

from .clock_steps import ClockWatch
from .delivery import EngineSettings, Tally, TickSummary
from .sending import Sending
from .twilio_sms import SmsBackend, SmsError

_log = logging.getLogger(__name__)

#: How often the retention pass runs (its first run: the process's first tick).
MAINTENANCE_EVERY = timedelta(hours=24)


def _count_expired(tally: Tally, notification_ids: list[int], why: str) -> None:
    """Log each text a tick expired (``why``: the reason, for the log) and count them."""
    for notification_id in notification_ids:
        _log.warning(
            "text #%d expired: %s",
            notification_id,
            why,
            extra={"event": "expired", "notification_id": notification_id},
        )
    tally.add("expired", len(notification_ids))


def service_version() -> str:
    """The installed package version (``unknown`` when run from a bare source tree)."""
    try:
        from importlib.metadata import version

        return version("whoseonfirst")
    except Exception:  # noqa: BLE001 - metadata missing must not stop the service
        return "unknown"


class Engine(Sending):
    """Plans, sends and tracks texts; one :meth:`tick` at a time (not re-entrant).

    ``instance_id`` names this service instance in heartbeats (default: the host name).
    ``rng`` gives the backoff jitter (tests pass a seeded ``random.Random``). ``before_claim``,
    ``after_claim``, ``after_send`` and ``before_record_commit`` are test and drill hooks called
    with the notification id just before the claim, right after the claim was committed, right
    after Twilio accepted the text (before it is recorded), and once the result is written but
    not yet committed: a hook that raises (or kills the process, as the chaos drills do through
    ``WHOSEONFIRST_CRASH_AT``) simulates a process stopped at that point. ``after_inbound_list``
    is called with the number of texts a poll listed, before they are recorded. All default to
    None.
    """

    def __init__(
        self,
        db: Database,
        backend: SmsBackend,
        clock: Clock,
        *,
        instance_id: str | None = None,
        settings: EngineSettings | None = None,
        rng: random.Random | None = None,
        version: str | None = None,
        after_claim: Callable[[int], None] | None = None,
        after_send: Callable[[int], None] | None = None,
        before_claim: Callable[[int], None] | None = None,
        before_record_commit: Callable[[int], None] | None = None,
        after_inbound_list: Callable[[int], None] | None = None,
        pretended_clock: bool = False,
        poll: bool = True,
        clock_watch: ClockWatch | None = None,
    ) -> None:
        self.db = db
        self.backend = backend
        self.clock = clock
        self.host = socket.gethostname() or "localhost"
        self.instance_id = (instance_id or self.host)[:60]
        # Unique per process, so a claim can tell this process from another on the same host.
        self.token = f"{self.instance_id}/{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.actor = f"service@{self.host}"
        self.settings = settings or EngineSettings()
        self.rng = rng or random.Random()
        self.version = version or service_version()
        self.started_at = clock.now()
        self.last_error: str | None = None
        #: The SMS side's health as the last completed tick saw it.
        self.sms = SMS_OK
        self._after_claim = after_claim
        self._after_send = after_send
        self._before_claim = before_claim
        self._before_record_commit = before_record_commit
        self._after_inbound_list = after_inbound_list
        #: ``tick --now``: the clock pretends another instant (see ``usecases.rehearsal``).
        self.pretended_clock = pretended_clock
        #: False in a rehearsal: the status of texts already sent is not asked of Twilio.
        self.poll = poll
        #: Tells a tick that the wall clock stepped since the last one (see ``clock_steps``).
        self.clock_watch = clock_watch
        #: The daily retention pass: when the last one finished (None: not in this process),
        #: and what the running one deleted so far.
        self._maintained_at: datetime | None = None
        self._pruned: dict[str, int] = {}
        #: What the last change-notice pass depended on (see ``notices.pass_key``).
        self._notice_pass: tuple[int, datetime] | None = None
        self._stop = threading.Event()

    # -- control -----------------------------------------------------------------------------

    def request_stop(self) -> None:
        """Finish the text being sent, then end the current tick early (SIGTERM)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # -- the tick ----------------------------------------------------------------------------

    def tick(self) -> TickSummary:
        """One pass of due work; returns what it did. Database errors propagate (the daemon
        logs them and tries again on the next tick; nothing is lost because the database is
        the queue)."""
        now = self.clock.now()
        step = self.clock_watch.observe() if self.clock_watch is not None else None
        if step is not None:
            _log.warning(
                "%s since the last tick: re-planning, and this tick judges no text overdue",
                step.describe(),
                extra={"event": "clock_step", "step_seconds": step.by.total_seconds()},
            )
        tally = Tally()
        marks = self._start_tick(now)
        team_present = self._has_team()
        if team_present and self.poll:
            self._receive(now, tally)
        if team_present:
            self._maintain_schedule(now, tally)
            self._plan(now, marks, tally, judge_overdue=step is None)
            self._notify(now, tally)
            self._escalate(now, tally)
        if step is None:
            self._expire(tally)
        self._send_due(tally)
        if not self.stopping and self.poll:
            self._poll(tally)
        if not self.stopping and team_present:
            self._raise_alerts(tally)
            self._send_due(tally, kinds=(Kind.FAILURE_ALERT,))
        if not self.stopping and team_present and not self.pretended_clock:
            self._maintain(now)
        if self.stopping:
            return tally.summary(started_at=now, stopped_early=True)
        # From the tick's own instant, not the clock now: an instant that came due while this
        # tick ran was not planned by it and must still be the next one (the daemon then ticks
        # again at once).
        next_due = self.next_due_at(now) if team_present else None
        self._finish_tick(now, next_due)
        summary = tally.summary(
            started_at=now,
            next_due_at=next_due,
            next_poll_at=self.next_poll_at(now) if team_present and self.poll else None,
            sms_problem=self.sms.reason,
        )
        _log.info(
            "tick done: %s",
            summary.describe(),
            extra={
                "event": "tick",
                **summary.counts(),
                "next_due_at": next_due.isoformat() if next_due else None,
            },
        )
        return summary

    def _has_team(self) -> bool:
        with self.db.reader() as uow:
            present = has_team(uow)
        if not present:
            _log.warning("this database has no team yet: nothing to schedule")
        return present

    def _start_tick(self, now: datetime) -> heartbeat.TickMarks:
        """Read the tick marks and record this tick as the first one if none ran before."""
        with self.db.uow(self.actor) as uow:
            marks = heartbeat.read_tick_marks(uow.session)
            rehearsal.note_tick(uow.session, pretended=self.pretended_clock)
            heartbeat.mark_first_tick(uow.session, now)
            uow.commit(bump_revision=False)
        first = marks.first if marks.first is not None and marks.first <= now else now
        return heartbeat.TickMarks(first, marks.last)

    def _receive(self, now: datetime, tally: Tally) -> None:
        """Texts people sent to the team's number since the last poll: each recorded and acted
        on once, before this tick plans anything (a phone that replied STOP gets nothing more).
        A poll that fails is tried again next tick, from the same cursor: nothing is skipped."""
        with self.db.reader() as uow:
            since = inbound.poll_since(uow.session, now)
        try:
            messages = self.backend.list_inbound(since)
        except SmsError as exc:
            _log.warning(
                "could not list the texts sent to the team (%s); trying again next tick",
                exc.reason,
                extra={"event": "inbound_poll_failed", "error_kind": exc.kind},
            )
            return
        if messages and self._after_inbound_list is not None:
            self._after_inbound_list(len(messages))
        with self.db.uow(self.actor) as uow:
            handled = inbound.record_inbound(
                uow,
                now,
                [InboundText(m.sid, m.sender, m.to, m.body, m.sent_at) for m in messages],
            )
            inbound.advance_cursor(uow.session, now)
            uow.commit(bump_revision=bool(handled))
        for h in handled:
            _log.info(
                "text %s from %s: %s",
                h.sid,
                mask_phone(h.sender),
                h.outcome,
                extra={"event": "inbound", "asks": h.asks, "sid": h.sid},
            )
        tally.add("inbound", len(handled))

    def _maintain_schedule(self, now: datetime, tally: Tally) -> None:
        with self.db.uow(self.actor) as uow:
            added = extend_horizon(uow, now)
            completed = complete_ended_overrides(uow, now)
            if added or completed:
                uow.commit()
        if added:
            _log.info("extended the schedule by %d shifts", added)
        tally.add("horizon_added", added)
        tally.add("overrides_completed", completed)

    # -- planning ----------------------------------------------------------------------------

    def _plan(
        self, now: datetime, marks: heartbeat.TickMarks, tally: Tally, *, judge_overdue: bool
    ) -> None:
        """Insert every text due now (queued) and every text nobody sent in time (missed; not
        when ``judge_overdue`` is False: the wall clock just stepped)."""
        with self.db.reader() as uow:
            due = due_texts(
                uow,
                now,
                marks,
                missed_lookback=self.settings.missed_lookback,
                summary_validity=self.settings.summary_validity,
            )
        inserted: list[tuple[PlannedText, Status]] = []
        with self.db.uow(self.actor) as uow:
            moved, superseded = follow_spans(uow.session, now, due.current)
            if moved or superseded:
                uow.commit()
        _count_expired(tally, superseded, "its span is no longer on the schedule")
        missed = due.missed if judge_overdue else ()
        if not due.queue and not missed:
            return
        with self.db.uow(self.actor) as uow:
            for text in due.queue:
                if outbox.insert_planned(
                    uow.session, text, status=Status.QUEUED, now=now, actor=self.actor
                ):
                    inserted.append((text, Status.QUEUED))
            for text in missed:
                if outbox.insert_planned(
                    uow.session,
                    text,
                    status=Status.MISSED,
                    now=now,
                    actor=self.actor,
                    error_message=due.missed_reason,
                ):
                    inserted.append((text, Status.MISSED))
            if inserted:
                uow.commit()
        for text, status in inserted:
            tally.add(status)
            log = _log.warning if status == Status.MISSED else _log.info
            log(
                "%s %s text to %s (%s) due %s",
                status,
                text.kind,
                text.recipient_name,
                mask_phone(text.recipient_phone),
                text.due_at.isoformat(),
                extra={
                    "event": status,
                    "kind": text.kind,
                    "key": text.key.replace(text.recipient_phone, mask_phone(text.recipient_phone)),
                },
            )

    def _notify(self, now: datetime, tally: Tally) -> None:
        """Change notices: tell each person what changed in their on-call (after the
        shift-start texts, which a person newly on call may already be getting)."""
        with self.db.uow(self.actor) as uow:
            key = notices.pass_key(uow, now)
            if key is not None and key == self._notice_pass:
                return  # nothing changed since the last pass found nothing more to tell
            outcome = notices.plan_notices(uow, now, actor=self.actor)
            uow.commit(bump_revision=bool(outcome.queued))
        with self.db.reader() as uow:
            self._notice_pass = notices.pass_key(uow, now)
        for text in outcome.queued:
            _log.info(
                "queued %s text to %s (%s)",
                text.kind,
                text.recipient_name,
                mask_phone(text.recipient_phone),
                extra={"event": "notice", "kind": text.kind, "member_id": text.member_id},
            )
        if outcome.recorded_silently:
            _log.info(
                "recorded what %d people are on call for; changes from now on are told",
                outcome.recorded_silently,
            )
        tally.add("notices", len(outcome.queued))

    def _escalate(self, now: datetime, tally: Tally) -> None:
        """Unconfirmed shifts: ask again, tell the contacts, tell them of a late OK."""
        with self.db.uow(self.actor) as uow:
            step = escalation.escalate(uow, now)
            if step.queued or step.expired:
                uow.commit()
        _count_expired(tally, step.expired, escalation.CONFIRMED_FIRST)
        for text in step.queued:
            _log.info(
                "queued %s text to %s (%s)",
                text.kind,
                text.recipient_name,
                mask_phone(text.recipient_phone),
                extra={"event": "escalation", "kind": text.kind, "key": text.key},
            )
        tally.add("escalations", len(step.queued))

    # -- expiry and sending ------------------------------------------------------------------

    def _expire(self, tally: Tally) -> None:
        now = self.clock.now()
        with self.db.uow(self.actor) as uow:
            expired = outbox.expire_overdue(uow.session, now)
            if expired:
                uow.commit()
        _count_expired(tally, expired, "before it could be sent")

    # -- failure alerts ----------------------------------------------------------------------

    def _raise_alerts(self, tally: Tally) -> None:
        now = self.clock.now()
        with self.db.uow(self.actor) as uow:
            raised = raise_failure_alerts(
                uow,
                now,
                deadline=self.settings.delivery_deadline,
                lookback=self.settings.alert_lookback,
                validity=self.settings.alert_validity,
            )
            if not raised:
                return
            tz = outbox.load_team(uow.session).tz
            uow.commit()
        for r in raised:
            alert = r.alert
            _log.warning(
                "%s could not be reached for the %s shift starting %s: %s (%d alert(s) queued)",
                alert.member_name,
                alert.shift_name,
                fmt_local_long(alert.span_start, tz),
                "; ".join(f"{f.describe_phone()}: {f.reason}" for f in alert.failures),
                r.queued,
                extra={"event": "failure_alert", "member_id": alert.member_id},
            )
            if not alert.texts:
                _log.warning(
                    "no escalation contact has opted in to failure alerts; nobody was told"
                )
        tally.add("alerts", sum(a.queued for a in raised))

    # -- retention --------------------------------------------------------------------------

    def _maintain(self, now: datetime) -> None:
        """The daily pass (the first tick of the process, then every 24 h): one batch of
        history older than the retention per tick until none is left, then fresh planner
        statistics (see ``usecases.retention``)."""
        if self._maintained_at is not None and now - self._maintained_at < MAINTENANCE_EVERY:
            return
        with self.db.uow(self.actor) as uow:
            pruned = retention.prune_batch(uow, now, self.settings.retention_batch)
            for kind, n in pruned.deleted.items():
                self._pruned[kind] = self._pruned.get(kind, 0) + n
            if not pruned.more:
                retention.record_pass(uow, now, self._pruned)
            uow.commit(bump_revision=pruned.total > 0)
        if pruned.more:
            return
        retention.optimize(self.db)
        if self._pruned or pruned.audit_kept:
            _log.info(
                "retention: deleted %s",
                ", ".join(f"{n} {k}" for k, n in self._pruned.items()) or "nothing",
                extra={
                    "event": "retention",
                    **{f"deleted_{k}": n for k, n in self._pruned.items()},
                },
            )
        if pruned.audit_kept:
            _log.warning(
                "retention: the database kept audit entries this clock calls old enough; "
                "its own clock says they are younger than the retention"
            )
        self._maintained_at, self._pruned = now, {}

    # -- heartbeat and the next due instant --------------------------------------------------

    def next_due_at(self, now: datetime) -> datetime | None:
        """The next instant (UTC) something becomes due (see :func:`due.next_due_at`)."""
        with self.db.reader() as uow:
            return next_due_at(uow, now, stale_claim_after=self.settings.stale_claim_after)

    def next_poll_at(self, now: datetime) -> datetime | None:
        """When to poll for replies again, sooner than the next due instant: every
        ``CONFIRM_POLL_INTERVAL`` while a shift that just started waits for its OK (None:
        no hurry)."""
        with self.db.reader() as uow:
            waiting = escalation.awaiting_confirmation(uow, now)
        return now + escalation.CONFIRM_POLL_INTERVAL if waiting else None

    def record_stop(self) -> None:
        """Say in the database that this instance stopped cleanly (the app shows "stopped",
        not "silent", until it ticks again)."""
        with self.db.uow(self.actor) as uow:
            heartbeat.mark_stopped(uow.session, self.instance_id, self.clock.now())
            uow.commit(bump_revision=False)

    def _finish_tick(self, started: datetime, next_due: datetime | None) -> None:
        now = self.clock.now()
        with self.db.uow(self.actor) as uow:
            sms = heartbeat.sms_health_at(uow.session, now)
            heartbeat.mark_last_tick(uow.session, started)
            heartbeat.write_heartbeat(
                uow.session,
                HeartbeatDTO(
                    instance_id=self.instance_id,
                    host=self.host,
                    version=self.version,
                    sms_backend=self.backend.name,
                    started_at=self.started_at,
                    last_tick_at=now,
                    next_due_at=next_due,
                    last_error=self.last_error,
                    sms_problem=sms.reason,
                ),
                prune_before=now - self.settings.heartbeat_retention,
            )
            uow.commit(bump_revision=False)
        if sms.cause != self.sms.cause:  # logged once per change, not every tick
            if sms.ok:
                _log.info("texts are going out again", extra={"event": "sms_ok"})
            else:
                _log.error(
                    "texts are not going out: %s",
                    sms.reason,
                    extra={"event": "sms_unhealthy", "cause": sms.cause},
                )
        self.sms = sms
