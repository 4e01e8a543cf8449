"""Daemon kill drill: SIGKILL the long-running ``whoseonfirst-service run`` (the process systemd
runs) around due instants, and restart it as the unit's ``Restart=on-failure`` would.

Real clock, one daemon at a time, the fake Twilio server. The roster's rotation starts the day
after tomorrow; the drill adds covers, each for another member: a short cover every ``gap``
seconds (each text valid until the next cover starts), then a last cover of 30 minutes for Ann
(two phones). Every SIGKILL is followed by a restart ``restart`` seconds later
(``RestartSec=5s`` in ``installer/rhel/whoseonfirst-service.service``; 1 s in the quick run).
One kill pattern per due instant:

- ``idle``: seconds before the instant, the daemon waiting for its exact wake-up;
- ``just_before``: under half a second before it; the daemon is back only after the instant and
  sends the text late, on its first tick (catch-up: the span still runs);
- ``startup``: before the instant, and again while the restarted daemon is starting up;
- ``after_record``: right after the instant's texts were recorded as sent; the restarted daemon
  plans them again and must not send them twice.

The full run adds kills that leave a claim behind, which only the 2-minute stale-claim limit
frees (too slow for the quick run):

- ``held_created``: while the fake holds the instant's first create request, the message
  already created: taken over after the limit, found by listing at Twilio, not sent again —
  even though the text's validity ran out meanwhile;
- ``after_create``: the moment the create request reached the fake (the result not yet
  recorded, or just); single-phone members only;
- on the last cover, ``held_lost``: while the fake holds the first create request and creates
  nothing; then ``catch-up tick``: a random moment of the restarted daemon's first tick, which
  sends the other phone's text (before planning, before or after the claim, before or after the
  create: the notes say where each kill landed). After the limit the listing finds nothing for
  the held text and sends it, still valid.

Why the expected set is exact (every text of every cover, once): a kill before the due instant
cannot touch that instant's texts (none is planned or claimed before it), and the drill kills
only once every earlier text is recorded as sent, or left claimed by a killed daemon after
Twilio created it; the restarted daemon sends a running span's text on its first tick, well
within the ``gap``. A kill after Twilio created a text leaves at most a claim that the listing
resolves as found, whenever it is taken over. Kills that can leave a claim on a text Twilio
does not have hit only the last cover, valid 30 minutes: far longer than the stale-claim limit
plus a tick. To save time, once every cover is done the drill restarts the daemon once more,
timed so that the new daemon's first tick comes just after the newest dead claim turned stale.
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from sqlalchemy import select
from whoseonfirst_service.delivery import EngineSettings

from chaos.common import (
    ChaosRun,
    DrillResult,
    DrillTwilio,
    TextKey,
    apply_tally,
    check_rows,
    cover_members,
    drill_twilio,
    has_traceback,
    import_covers,
    log_has_event,
    sleep_until,
    start_daemon,
    stop_daemon,
    tally,
    wait_until,
)
from chaos.timing import Timing, whole_seconds
from tests.fakes.fake_twilio import RecordedRequest, Reply
from whoseonfirst_core.db.models import Notification, NotificationAttempt
from whoseonfirst_core.db.session import Database

SAFE = ("idle", "just_before", "startup", "after_record")
IN_FLIGHT = ("held_created", "after_create")
LAST = "held_lost+catch_up"
#: A pre-due kill is skipped if the drill could only send it later than this before the instant.
GUARD_S = 0.1
HOLD_S = 20.0  # the fake holds a create this long (longer than the client's 10 s timeout)
LAST_COVER = timedelta(minutes=30)
STALE_S = EngineSettings().stale_claim_after.total_seconds()


@dataclass(frozen=True)
class Params:
    short_covers: int
    gap: float  # seconds between due instants (the validity of a short cover's texts)
    restart: float  # seconds from a SIGKILL to the restart (systemd's RestartSec)
    #: Seconds from a daemon's start to its first tick: planned with (``Timing.planned``) and
    #: as measured; the idle-machine figures until :meth:`sized`.
    startup: float = 1.5
    measured: float = 0.75

    @property
    def lead(self) -> float:
        """Seconds from the first start to the first due instant (room for an ``idle`` kill);
        whole seconds, as the planner reports due instants."""
        return whole_seconds(self.restart + max(6.0, self.startup + 3.0))

    def sized(self, timing: Timing) -> Params:
        """These counts on this machine now: a daemon restarted just before a due instant
        (``just_before``, ``startup``) must be back and have sent its text while it is still
        valid, so the gap between instants is at least the restart, the planned start-up and
        two seconds to send; never shorter than the idle-machine figure."""
        return replace(
            self,
            gap=whole_seconds(max(self.gap, self.restart + timing.planned + 2.0)),
            startup=timing.planned,
            measured=timing.startup,
        )


QUICK = Params(short_covers=3, gap=7.0, restart=1.0)
FULL = Params(short_covers=8, gap=14.0, restart=5.0)


class Supervisor:
    """The daemon as systemd runs it: one incarnation at a time, each with its own log file and
    instance id; :meth:`kill` SIGKILLs it and starts the next one ``restart`` s later."""

    def __init__(
        self,
        run: ChaosRun,
        url: str,
        fake: DrillTwilio,
        folder: Path,
        name: str,
        restart: float,
        result: DrillResult,
    ) -> None:
        self.run, self.url, self.fake, self.folder = run, url, fake, folder
        self.name, self.restart, self.result = name, restart, result
        self.count = 0
        self.proc: subprocess.Popen[str] | None = None
        self._log: IO[str] | None = None
        self.kills = 0

    @property
    def instance(self) -> str:
        return f"chaos-kd-{self.count:02d}"

    def log_path(self, n: int) -> Path:
        return self.folder / f"{self.name}-{n:02d}.log"

    def start(self) -> None:
        self.count += 1
        self._log = self.log_path(self.count).open("w", encoding="utf-8")
        self.proc = start_daemon(self.run, self.url, self.fake, self.instance, log=self._log)

    def kill(self, then: Callable[[], None] | None = None) -> None:
        """SIGKILL the running incarnation, call ``then`` (if given), and start the next
        incarnation ``restart`` seconds after the kill, as systemd would."""
        assert self.proc is not None
        killed = time.monotonic()
        if self.proc.poll() is not None:
            self.result.error(
                f"daemon incarnation {self.count} exited by itself "
                f"(status {self.proc.returncode}) before the drill killed it"
            )
        else:
            self.proc.send_signal(signal.SIGKILL)
            self.kills += 1
        self._reap()
        if then is not None:
            then()
        time.sleep(max(0.0, killed + self.restart - time.monotonic()))  # RestartSec
        self.start()

    def stop(self) -> None:
        """SIGTERM the last incarnation once it has ticked (a SIGTERM during the interpreter's
        start-up, before the service installs its handler, kills it as systemd's would): it
        must still run, and exit 0."""
        assert self.proc is not None
        proc = self.proc
        wait_until(lambda: self.logged("tick") or proc.poll() is not None, timeout=60)
        if self.proc.poll() is not None:
            self.result.error(
                f"daemon incarnation {self.count} exited by itself (status {self.proc.returncode})"
            )
        stop_daemon(
            self.run,
            self.proc,
            f"{self.name} daemon {self.count}",
            self.result,
            f"daemon incarnation {self.count}",
        )
        self._reap()

    def logged(self, event: str) -> bool:
        """Whether the running incarnation has logged ``event`` (``started``, ``tick``)."""
        return log_has_event(self.log_path(self.count), event)

    def _reap(self) -> None:
        assert self.proc is not None and self._log is not None
        self.proc.wait(timeout=30)
        self._log.close()
        text = self.log_path(self.count).read_text(encoding="utf-8")
        self.run.evidence.add_log(f"{self.name} daemon {self.count}", text)
        if has_traceback(text):
            self.result.error(
                f"daemon incarnation {self.count} logged a traceback: "
                f"{text.strip().splitlines()[-1:]}"
            )


@dataclass
class Instant:
    due: datetime
    keys: list[TextKey]
    kind: str
    landed: list[str]


def plan(p: Params, quick: bool, rng: random.Random, phones: list[int]) -> list[str]:
    """One kill pattern per short cover (``phones``: how many texts each one has), and the last
    cover's. ``after_create`` goes to single-phone covers only (a second text would be claimed
    next, and the kill could land on it before Twilio created it); ``held_created`` preferably
    to a two-phone cover (the other phone's text goes out after the restart)."""
    if quick:  # the last cover too: every kill pattern once (or more)
        out = [SAFE[i % len(SAFE)] for i in range(p.short_covers + 1)]
        rng.shuffle(out)
        return out
    kinds = SAFE + IN_FLIGHT
    out = [kinds[i % len(kinds)] for i in range(p.short_covers)]
    rng.shuffle(out)
    two = [i for i, n in enumerate(phones) if n > 1]
    if two and "held_created" in out:
        j = out.index("held_created")
        out[two[0]], out[j] = out[j], out[two[0]]
    for i in two:
        if out[i] == "after_create":
            j = next(j for j, k in enumerate(out) if k != "after_create" and phones[j] == 1)
            out[i], out[j] = out[j], out[i]
    return [*out, LAST]


def run(run: ChaosRun, backend: str) -> DrillResult:
    result = DrillResult(f"kill daemon ({backend})")
    timing = Timing.of(run)
    p = (QUICK if run.quick else FULL).sized(timing)
    rng = random.Random(f"{run.seed}-kill-daemon-{backend}")
    url = run.new_database(backend, f"kill-daemon-{backend}")
    folder = run.folder(f"kill-daemon-{backend}")
    now = datetime.now(UTC).replace(microsecond=0)
    first = now + timedelta(seconds=p.lead + 2)  # + the roster import and the planner's run
    starts = [first + timedelta(seconds=p.gap * i) for i in range(p.short_covers + 1)]
    # The last cover (Ann, two phones) is the long one; the short ones go to everyone else.
    members = cover_members(run, p.short_covers + 1)
    order = [*members[1 : p.short_covers + 1], members[0]]
    ends = [*starts[1:], starts[-1] + LAST_COVER]
    due = import_covers(
        url,
        now,
        [(m[0], s, e) for m, s, e in zip(order, starts, ends, strict=True)],
        members=members,
    )
    kinds = plan(p, run.quick, rng, [2 if m[2] else 1 for m in order[:-1]])
    instants = [
        Instant(s, [k for k, d in due.items() if d == s], kind, [])
        for s, kind in zip(starts, kinds, strict=True)
    ]
    for i in instants:
        if not i.keys:
            result.error(f"the planner expects no text at {i.due.isoformat()}")
    db = Database(url)
    try:
        with drill_twilio(run) as fake:
            sup = Supervisor(run, url, fake, folder, f"kill-daemon-{backend}", p.restart, result)
            sup.start()
            try:
                for n, instant in enumerate(instants):
                    _one_instant(sup, db, fake, p, rng, instant, result)
                    if not _settled(db, instant, sup, timeout=p.gap + 30):
                        result.error(
                            f"instant {n} ({instant.kind}): its texts were not all "
                            f"out and recorded {p.gap + 30:.0f} s after it"
                        )
                    if (n + 1) % 4 == 0:
                        run.detail(f"kill daemon ({backend}): {n + 1}/{len(instants)} instants")
                nudged = _recover_dead_claims(sup, db, p)
            finally:
                sup.stop()
            received = fake.received()
            apply_tally(result, tally(list(due), received))
            requests = fake.create_requests
        check_rows(url, result)
        late = _lateness(requests, due)
        takeovers = _takeovers(db)
    finally:
        db.dispose()
    landed = Counter(k for i in instants for k in i.landed)
    if not sup.kills:
        result.error("no SIGKILL landed: the drill proves nothing (machine too slow?)")
    result.notes.append(
        f"{len(instants)} due instants {p.gap:.0f} s apart (the last cover 30 min; planned "
        f"from a daemon start-up of {p.measured:.1f} s), restart "
        f"{p.restart:.0f} s after each of {sup.kills} SIGKILLs ({sup.count} daemon starts); "
        "landed: "
        + ", ".join(f"{k} {v}" for k, v in sorted(landed.items()))
        + (f"; restart timed to take over dead claims: {nudged}" if nudged else "")
    )
    result.notes.append(
        f"texts sent late by a restarted daemon: {sum(1 for s in late if s > 1.0)} of "
        f"{len(late)} (max {max(late, default=0):.1f} s after the due instant); dead claims "
        f"taken over after the {STALE_S:.0f} s stale-claim limit: {takeovers}"
        + (
            ""
            if not run.quick
            else "; the quick run leaves out the kills that need it "
            "(held create requests, after the create, during a catch-up tick)"
        )
    )
    return result


def _one_instant(
    sup: Supervisor,
    db: Database,
    fake: DrillTwilio,
    p: Params,
    rng: random.Random,
    instant: Instant,
    result: DrillResult,
) -> None:
    """Kill (and restart) the daemon around ``instant`` as its pattern says."""
    due = instant.due
    keys = set(instant.keys)

    def creates() -> int:
        return sum(
            1 for r in fake.create_requests if (r.form.get("To"), r.form.get("Body")) in keys
        )

    kind = instant.kind
    if kind in ("idle", "just_before", "startup"):
        lead = {
            # Back, and waiting for its exact wake-up, before the instant.
            "idle": rng.uniform(p.restart + p.startup + 0.5, p.restart + p.startup + 1.5),
            "just_before": rng.uniform(0.15, 0.5),
            "startup": rng.uniform(p.restart + 1.5, p.restart + 2.0),
        }[kind]
        if _kill_before(sup, due, lead, db, instant, result):
            if kind != "startup":
                instant.landed.append(kind)
            elif _kill_before(sup, due, 0.0, db, instant, result, after=rng.uniform(0.1, 0.6)):
                instant.landed.append("startup")
            else:
                instant.landed.append("startup (first kill only)")
        return
    if kind == "after_record":
        wait_until(lambda: _recorded(db, instant), timeout=p.gap + 30, step=0.01)
        time.sleep(rng.uniform(0.0, 0.3))  # a random moment, not a synchronisation
        _kill_after_due(sup, db, fake, instant, kind)
        return
    if kind in ("held_created", "after_create"):
        if kind == "held_created":
            _hold_next(fake, keys, create=True)
        if wait_until(
            lambda: creates() > 0,
            timeout=(due - datetime.now(UTC)).total_seconds() + p.gap + 30,
            step=0.002,
        ):
            _kill_after_due(sup, db, fake, instant, kind)
        fake.reply_for = None
        return
    # The last cover: the first create held with nothing created, then a random moment of the
    # restarted daemon's catch-up tick (it sends the other phone's text).
    _hold_next(fake, keys, create=False)
    if wait_until(
        lambda: creates() > 0,
        timeout=(due - datetime.now(UTC)).total_seconds() + p.gap + 30,
        step=0.002,
    ):
        _kill_after_due(sup, db, fake, instant, "held_lost", then=_no_hold(fake))
        wait_until(lambda: sup.logged("started"), timeout=60, step=0.002)
        time.sleep(rng.uniform(0.0, 0.05))  # a random moment, not a synchronisation
        _kill_after_due(sup, db, fake, instant, "catch-up tick")
    fake.reply_for = None


def _no_hold(fake: DrillTwilio) -> Callable[[], None]:
    def clear() -> None:
        fake.reply_for = None

    return clear


def _kill_after_due(
    sup: Supervisor,
    db: Database,
    fake: DrillTwilio,
    instant: Instant,
    kind: str,
    then: Callable[[], None] | None = None,
) -> None:
    """SIGKILL now (after the due instant) and note where the instant's texts were."""
    dead = sup.instance + "/"

    def note_stage() -> None:
        received = fake.received()
        rows = _rows(db, instant)
        claimed = [
            (to, body) for s, c, to, body in rows if s == "sending" and (c or "").startswith(dead)
        ]
        if claimed:
            stage = (
                "sent, not recorded"
                if all(received.get(k) for k in claimed)
                else "claimed, not sent"
            )
        elif len(rows) < len(instant.keys):
            stage = "before planning"
        elif any(s == "queued" for s, *_ in rows):
            stage = "planned, not claimed"
        else:
            stage = "after recording"
        instant.landed.append(f"{kind} ({stage})")
        if then is not None:
            then()

    sup.kill(then=note_stage)


def _kill_before(
    sup: Supervisor,
    due: datetime,
    lead: float,
    db: Database,
    instant: Instant,
    result: DrillResult,
    *,
    after: float | None = None,
) -> bool:
    """SIGKILL ``lead`` s before ``due`` (or ``after`` s from now), provided that is still at
    least ``GUARD_S`` before it; True when the kill landed."""
    sleep_until(
        datetime.now(UTC) + timedelta(seconds=after)
        if after is not None
        else due - timedelta(seconds=lead)
    )
    if datetime.now(UTC) > due - timedelta(seconds=GUARD_S):
        return False
    dead = sup.instance
    sup.kill()
    if any(c and c.startswith(dead + "/") for _s, c, *_ in _rows(db, instant)):
        result.error(
            f"a kill meant to land before {due.isoformat()} found a text of that "
            "instant claimed (machine too slow?)"
        )
    return True


def _hold_next(fake: DrillTwilio, keys: set[TextKey], *, create: bool) -> None:
    """Make the fake hold the next create request for one of ``keys`` (once)."""
    held = {"done": False}

    def chooser(form: dict[str, str]) -> Reply | None:
        if held["done"] or (form.get("To"), form.get("Body")) not in keys:
            return None
        held["done"] = True
        return Reply.slow(HOLD_S, create=create)

    fake.reply_for = chooser


def _rows(db: Database, instant: Instant) -> list[tuple[str, str | None, str, str]]:
    """(status, claimed_by, to, body) of the instant's rows."""
    with db.reader() as uow:
        return list(
            uow.session.execute(
                select(
                    Notification.status,
                    Notification.claimed_by,
                    Notification.recipient_phone,
                    Notification.body,
                ).where(Notification.due_at == instant.due)
            ).tuples()
        )


def _recorded(db: Database, instant: Instant) -> bool:
    rows = _rows(db, instant)
    return len(rows) == len(instant.keys) and all(s in ("sent", "delivered") for s, *_ in rows)


def _settled(db: Database, instant: Instant, sup: Supervisor, timeout: float) -> bool:
    """Wait until every text of ``instant`` is recorded as sent, or left claimed by a killed
    incarnation (it waits for the stale-claim limit): none is queued, none is being sent."""

    def done() -> bool:
        rows = _rows(db, instant)
        return len(rows) == len(instant.keys) and all(
            s in ("sent", "delivered")
            or (s == "sending" and not (c or "").startswith(sup.instance + "/"))
            for s, c, *_ in rows
        )

    return wait_until(done, timeout=timeout, step=0.01)


def _dead_claims(db: Database, live: str) -> list[datetime]:
    """When the rows left in ``sending`` by killed incarnations were claimed."""
    with db.reader() as uow:
        rows = (
            uow.session.execute(
                select(Notification.claimed_at, Notification.claimed_by).where(
                    Notification.status == "sending"
                )
            )
            .tuples()
            .all()
        )
    return [at for at, by in rows if at is not None and not (by or "").startswith(live + "/")]


def _recover_dead_claims(sup: Supervisor, db: Database, p: Params) -> int:
    """Wait until every row is delivered. While killed incarnations' claims wait for the
    stale-claim limit, restart the daemon once more so that its first tick (which comes the
    measured start-up after the start) falls just after the newest claim turned stale; returns
    how many times that was done."""
    nudges = 0
    for _ in range(3):
        claims = _dead_claims(db, sup.instance)
        if not claims:
            break
        stale_at = max(claims) + timedelta(seconds=STALE_S)
        kill_at = stale_at - timedelta(seconds=p.restart + p.measured) + timedelta(seconds=0.5)
        if kill_at > datetime.now(UTC):
            sleep_until(kill_at)
            sup.kill()
            nudges += 1
        wait_until(lambda: not _dead_claims(db, sup.instance), timeout=60, step=0.1)
    wait_until(lambda: _all_delivered(db), timeout=STALE_S + 60, step=0.1)
    return nudges


def _all_delivered(db: Database) -> bool:
    with db.reader() as uow:
        statuses = set(uow.session.scalars(select(Notification.status)))
    return statuses <= {"delivered"}


def _lateness(requests: list[RecordedRequest], due: dict[TextKey, datetime]) -> list[float]:
    """Seconds from each text's due instant to its first create request at the fake."""
    first: dict[TextKey, datetime] = {}
    for r in requests:
        key = (r.form.get("To", ""), r.form.get("Body", ""))
        if key in due and key not in first:
            first[key] = r.received_at
    return [(first[k] - due[k]).total_seconds() for k in first]


def _takeovers(db: Database) -> int:
    """How many attempts a later incarnation found interrupted (dead claims taken over)."""
    with db.reader() as uow:
        return sum(
            1
            for _ in uow.session.scalars(
                select(NotificationAttempt.id).where(NotificationAttempt.outcome == "interrupted")
            )
        )
