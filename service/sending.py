"""Sending and tracking texts, one claimed row at a time (SPEC §4 delivery contract points
2 and 4-6), as part of :class:`~whoseonfirst_service.engine.Engine`'s tick.

Claim one row atomically and commit the claim and the attempt row *before* calling Twilio,
send, record. Transient errors go back to ``queued`` with exponential backoff and jitter until
the text expires; permanent errors are ``failed`` at once; an ambiguous send (and a row left in
``sending`` by a process that died) is reconciled by listing recent messages to that number
before any retry, so it is neither lost nor sent twice. Then Twilio is polled for the status of
``sent`` rows until delivered, undelivered or failed.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from whoseonfirst_core.clock import Clock
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.masking import mask_phone
from whoseonfirst_core.domain.notification import Status
from whoseonfirst_core.domain.sms_errors import OPTED_OUT_CODE, delivery_outcome
from whoseonfirst_core.usecases import inbound, outbox

from .twilio_sms import SmsBackend, SmsError

if TYPE_CHECKING:
    from .delivery import EngineSettings, Tally

_log = logging.getLogger("whoseonfirst_service.engine")


class Sending:
    """The sending half of the engine; the engine provides the attributes below."""

    db: Database
    backend: SmsBackend
    clock: Clock
    token: str
    actor: str
    settings: EngineSettings
    rng: random.Random
    _after_claim: Callable[[int], None] | None
    _after_send: Callable[[int], None] | None
    _before_claim: Callable[[int], None] | None
    _before_record_commit: Callable[[int], None] | None

    @property
    def stopping(self) -> bool:
        raise NotImplementedError

    def _send_due(self, tally: Tally, kinds: Sequence[str] | None = None) -> None:
        """Claim and send due rows one at a time, at most ``send_batch`` per call."""
        budget = self.settings.send_batch
        while budget > 0 and not self.stopping:
            now = self.clock.now()
            with self.db.reader() as uow:
                ids = outbox.claimable_ids(
                    uow.session, now, now - self.settings.stale_claim_after, budget, kinds
                )
            progressed = False
            for notification_id in ids:
                if self.stopping:
                    return
                budget -= 1
                claimed = self._claim(notification_id)
                if claimed is not None:
                    progressed = True
                    self._deliver(claimed, tally)
            if not progressed:
                return  # nothing (more) is due, or other instances took it all

    def _claim(self, notification_id: int) -> outbox.ClaimedText | None:
        if self._before_claim is not None:
            self._before_claim(notification_id)
        now = self.clock.now()
        with self.db.uow(self.actor) as uow:
            claimed = outbox.claim(
                uow.session,
                notification_id,
                now=now,
                token=self.token,
                stale_before=now - self.settings.stale_claim_after,
            )
            if claimed is None:
                return None
            uow.commit(bump_revision=False)  # history is written before anything is sent
        if claimed.was_stale:
            _log.warning(
                "text #%d was left in 'sending' by a stopped process; checking Twilio first",
                notification_id,
                extra={"event": "stale_claim", "notification_id": notification_id},
            )
        return claimed

    def _deliver(self, claimed: outbox.ClaimedText, tally: Tally) -> None:
        """Reconcile if needed, then send one claimed row and record what happened."""
        if self._after_claim is not None:
            self._after_claim(claimed.id)
        if claimed.reconcile_since is not None and self._reconciled(claimed, tally):
            return
        now = self.clock.now()
        if claimed.expires_at is not None and claimed.expires_at - now < timedelta(seconds=1):
            self._record(
                claimed,
                status=Status.EXPIRED,
                outcome="expired",
                failed_at=now,
                error_message="its validity ran out before it could be sent",
            )
            tally.add("expired")
            return
        validity = (
            int((claimed.expires_at - now).total_seconds())
            if claimed.expires_at is not None
            else None
        )
        try:
            result = self.backend.send(claimed.to, claimed.body, validity_seconds=validity)
        except SmsError as exc:
            self._record_error(claimed, exc, tally)
            return
        except Exception:  # noqa: BLE001 - a bug in the adapter: the text may be out, so reconcile
            _log.exception("unexpected error while sending text #%d", claimed.id)
            error = SmsError("ambiguous", "unexpected error while sending (a bug; see the log)")
            self._record_error(claimed, error, tally)
            return
        if self._after_send is not None:
            self._after_send(claimed.id)
        status = Status.SIMULATED if result.status == Status.SIMULATED else Status.SENT
        self._record(
            claimed,
            status=status,
            outcome=status,
            twilio_sid=result.sid,
            sent_at=self.clock.now(),
        )
        tally.add(status)
        _log.info(
            "%s %s text #%d to %s (%s), attempt %d",
            status,
            claimed.kind,
            claimed.id,
            claimed.recipient_name,
            mask_phone(claimed.to),
            claimed.attempt_number,
            extra={
                "event": status,
                "notification_id": claimed.id,
                "kind": claimed.kind,
                "sid": result.sid,
            },
        )

    def _reconciled(self, claimed: outbox.ClaimedText, tally: Tally) -> bool:
        """Look for an earlier attempt's message at Twilio; True when found (and recorded) or
        when the question could not be asked (the row is retried later)."""
        assert claimed.reconcile_since is not None
        since = claimed.reconcile_since - self.settings.reconcile_margin
        with self.db.reader() as uow:
            # A message already recorded for another text is that text's, never this one's.
            taken = outbox.sids_of_others(uow.session, claimed.to, claimed.id)
        try:
            found = self.backend.find_recent(claimed.to, claimed.body, since, exclude=taken)
        except SmsError as exc:
            retry = SmsError(
                "transient",
                f"could not check whether an earlier attempt reached Twilio: {exc.reason}",
                exc.code,
                exc.retry_after,
            )
            self._record_error(claimed, retry, tally, keep_sending=True)
            return True
        if found is None:
            _log.info(
                "text #%d: Twilio has no earlier copy; sending it",
                claimed.id,
                extra={"event": "reconcile_none", "notification_id": claimed.id},
            )
            return False
        status = Status.SIMULATED if found.status == Status.SIMULATED else Status.SENT
        self._record(
            claimed,
            status=status,
            outcome="reconciled",
            twilio_sid=found.sid,
            sent_at=self.clock.now(),
        )
        tally.add("reconciled")
        _log.info(
            "text #%d to %s had reached Twilio in an earlier attempt; not sending it again",
            claimed.id,
            mask_phone(claimed.to),
            extra={"event": "reconciled", "notification_id": claimed.id, "sid": found.sid},
        )
        return True

    def _record_error(
        self,
        claimed: outbox.ClaimedText,
        exc: SmsError,
        tally: Tally,
        *,
        keep_sending: bool = False,
    ) -> None:
        """Permanent → ``failed``; transient → ``queued`` after a backoff (or ``expired``);
        ambiguous → stays ``sending`` until the backoff, then is reconciled before a retry."""
        now = self.clock.now()
        retry_at: datetime | None = None
        if exc.kind == "permanent":
            status, counted, event, what = Status.FAILED, "failed", "failed", "failed"
        else:
            retry_at = now + self.backoff(claimed.attempt_number, exc.retry_after)
            may_be_out = exc.kind == "ambiguous" or keep_sending
            expires = claimed.expires_at
            if not may_be_out and expires is not None and retry_at >= expires:
                retry_at = None
                status, counted, event = Status.EXPIRED, "expired", "expired"
                what = f"expired after {claimed.attempt_number} attempts"
            else:
                if may_be_out and expires is not None:
                    # Reconcile once more before the text expires (never sooner than a second
                    # away, so one tick cannot spin on it).
                    retry_at = max(
                        min(retry_at, expires - timedelta(seconds=1)), now + timedelta(seconds=1)
                    )
                # An ambiguous row stays 'sending': only a claim after ``retry_at`` (which
                # reconciles first) may touch it again, and expiry never marks it unsent blindly.
                status = Status.SENDING if may_be_out else Status.QUEUED
                counted, event = "retried", "retry"
                what = f"{exc.kind} error, retrying at {retry_at.isoformat()}"
        if retry_at is None:
            self._record(
                claimed,
                status=status,
                outcome=exc.kind,
                error=exc,
                opted_out=exc.code == OPTED_OUT_CODE,
                failed_at=now,
            )
        else:
            self._record(
                claimed, status=status, outcome=exc.kind, error=exc, next_attempt_at=retry_at
            )
        tally.add(counted)
        _log.warning(
            "%s text #%d to %s %s: %s",
            claimed.kind,
            claimed.id,
            mask_phone(claimed.to),
            what,
            exc.reason,
            extra={
                "event": event,
                "notification_id": claimed.id,
                "code": exc.code,
                "error_kind": exc.kind,
            },
        )

    def _record(
        self,
        claimed: outbox.ClaimedText,
        *,
        status: Status,
        outcome: str,
        error: SmsError | None = None,
        opted_out: bool = False,
        **values: Any,
    ) -> None:
        """Record the attempt's result (``error``: what the backend refused it with;
        ``opted_out``: the phone opted out, so nothing more is texted to it)."""
        if error is not None:
            values.update(error_code=error.code, error_message=error.reason)
        with self.db.uow(self.actor) as uow:
            now = self.clock.now()
            owned = outbox.finish(
                uow.session,
                claimed,
                token=self.token,
                now=now,
                status=status,
                outcome=outcome,
                **values,
            )
            if owned and opted_out:
                inbound.opt_out(
                    uow,
                    now,
                    claimed.to,
                    source=str(OPTED_OUT_CODE),
                    because=f"Twilio refused a text to it: the phone has opted out "
                    f"(error {OPTED_OUT_CODE})",
                )
            if self._before_record_commit is not None:
                self._before_record_commit(claimed.id)
            uow.commit()
        if not owned:
            _log.warning(
                "text #%d was taken over by another process before its result was recorded "
                "(or the message found for it was recorded for another text meanwhile); "
                "it is reconciled again by listing Twilio's messages",
                claimed.id,
                extra={"event": "lost_claim", "notification_id": claimed.id},
            )

    def backoff(self, attempt: int, retry_after: float | None = None) -> timedelta:
        """Delay before retry number ``attempt`` + 1: exponential from ``backoff_base``, capped
        at ``backoff_cap``, "equal jitter" (half fixed, half random); never shorter than the
        ``Retry-After`` seconds Twilio asked for."""
        raw = min(self.settings.backoff_cap, self.settings.backoff_base * 2 ** max(0, attempt - 1))
        delay: timedelta = raw / 2 + raw / 2 * self.rng.random()
        if retry_after is not None:
            delay = max(delay, timedelta(seconds=retry_after))
        return delay

    # -- status polling ----------------------------------------------------------------------

    def _poll(self, tally: Tally) -> None:
        now = self.clock.now()
        with self.db.reader() as uow:
            due = outbox.poll_candidates(
                uow.session,
                now,
                self.settings.poll_interval,
                self.settings.poll_for,
                self.settings.send_batch,
            )
        for notification_id, sid in due:
            if self.stopping:
                return
            self._poll_one(notification_id, sid, tally)

    def _poll_one(self, notification_id: int, sid: str, tally: Tally) -> None:
        try:
            status = self.backend.fetch_status(sid)
        except SmsError as exc:
            _log.warning("could not fetch the status of text #%d: %s", notification_id, exc.reason)
            status = None
        tally.add("polled")
        mapped, message = (
            delivery_outcome(status.status, status.error_code, status.error_message)
            if status
            else (None, None)
        )
        with self.db.uow(self.actor) as uow:
            changed = outbox.record_poll(
                uow.session,
                notification_id,
                now=self.clock.now(),
                status=mapped,
                error_code=status.error_code if status else None,
                error_message=message,
            )
            uow.commit(bump_revision=changed)
        if changed and mapped == Status.DELIVERED:
            tally.add("delivered")
        elif changed:
            tally.add("undelivered")
            _log.warning(
                "text #%d was not delivered: %s",
                notification_id,
                message,
                extra={"event": mapped, "notification_id": notification_id},
            )
