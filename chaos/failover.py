"""PostgreSQL failover drill (issue 19, "Beyond"): the primary dies mid-send, the standby is
promoted, and the service and the app carry on through a multi-host URL.

Two private clusters on loopback ports: a primary and a streaming hot standby made from it
with ``pg_basebackup -R -X stream`` (durable settings: fsync and synchronous_commit on). The
daemon (``whoseonfirst-service run``, real clock) and an app-side reader (the Dashboard's read
model, through one :class:`Database` as the app holds it) use
``?host=127.0.0.1:P1,127.0.0.1:P2&target_session_attrs=read-write``. Covers start every
``GAP`` seconds. The fake Twilio server holds Ben's create request ``HOLD_S`` s (the message
created at once, as Twilio would); one second into the hold every process of the primary is
SIGKILLed (a host crash); the create's answer comes back before any primary exists, so its
result is lost; ``PROMOTE_AFTER_S`` after the crash the standby is promoted (``pg_ctl
promote``: what Patroni or an operator does). Cal's cover starts between the crash and the
promotion. Run twice: with the standby synchronous (``synchronous_standby_names``) and
asynchronous.

Measured: texts expected, received, duplicates, missed; seconds from the promotion until texts
flow again (Cal's, due while no primary existed); what ``/healthz`` and the app said meanwhile;
the replication lag (commit on the primary → visible on the standby), which bounds the window
in which an asynchronous standby can lose a committed claim (and so send a text twice).

Ben's text: the claim was committed before the create; the crash lost the result. After the
2-minute stale-claim limit the daemon finds the message by listing at Twilio and does not send
it again. Run with ``python -m chaos --only failover`` (about 7 minutes; not in the default run).
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chaos.common import (
    MEMBERS,
    ChaosRun,
    DrillResult,
    DrillSkipped,
    all_delivered,
    apply_tally,
    check_rows,
    create_pg_database,
    drill_twilio,
    import_covers,
    sleep_until,
    start_daemon,
    stop_daemon,
    tally,
    wait_until,
)
from chaos.health import HealthPoller, health
from tests.fakes.fake_twilio import Reply
from tests.pg_server import PgServer, free_port, start_server
from whoseonfirst_core.db.session import Database, upgrade
from whoseonfirst_core.domain.masking import mask_phones

GAP = timedelta(seconds=15)
#: The held create answers 1.5 s after the crash, before the promotion: its result is lost.
HOLD_S = 2.5
KILL_INTO_HOLD_S = 1.0
PROMOTE_AFTER_S = 3.0
#: Cal's cover starts this long after the crash (before the promotion).
CAL_AFTER_CRASH = timedelta(seconds=2)
STALE_S = 120.0
#: Texts due while no primary exists must reach Twilio within this long after the promotion.
FLOW_AGAIN_S = 15.0
DURABLE = {"fsync": "on", "synchronous_commit": "on", "wal_level": "replica"}
LAG_SAMPLES = 50


def run(run: ChaosRun) -> DrillResult:
    result = DrillResult("PostgreSQL failover")
    result.expected = result.received = 0
    for synchronous in (True, False):
        _one(run, result, synchronous=synchronous)
    return result


def _one(run: ChaosRun, result: DrillResult, *, synchronous: bool) -> None:
    mode = "synchronous" if synchronous else "asynchronous"
    with replicated_pair(run, synchronous=synchronous) as (primary, standby):
        dbname = f"failover_{'sync' if synchronous else 'async'}"
        create_pg_database(primary, dbname)
        direct = Database(primary.url(dbname))
        try:
            upgrade(direct)
        finally:
            direct.dispose()
        lag = replication_lag(primary, standby)
        url = (
            f"postgresql+psycopg://postgres@/{dbname}?host=127.0.0.1:{primary.port},"
            f"127.0.0.1:{standby.port}&target_session_attrs=read-write"
        )
        run.evidence.pg_urls.append(url)
        ann, ben, cal, dee, eve = MEMBERS
        port = free_port()
        health_url = f"http://127.0.0.1:{port}/healthz"
        log_path = run.folder("failover") / f"daemon-{mode}.log"
        with drill_twilio(run) as fake, log_path.open("w", encoding="utf-8") as log:
            proc = start_daemon(
                run, url, fake, f"failover-{mode}", http=f"127.0.0.1:{port}", log=log
            )
            try:
                if not wait_until(lambda: health(health_url) == 200, 120, step=0.2):
                    result.error(f"{mode}: the daemon never reported healthy")
                    return
                t0 = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
                ben_at = t0 + GAP
                crash_at = ben_at + timedelta(seconds=KILL_INTO_HOLD_S)
                cal_at = crash_at + CAL_AFTER_CRASH
                covers = [
                    (ann[0], t0, ben_at),
                    (ben[0], ben_at, cal_at),
                    (cal[0], cal_at, cal_at + GAP),
                    (dee[0], cal_at + GAP, cal_at + 2 * GAP),
                    (eve[0], cal_at + 2 * GAP, cal_at + timedelta(minutes=30)),
                ]
                expected = import_covers(url, datetime.now(UTC), covers)
                held = fake.answer_first_create_to(
                    [ben[1]], Reply(delay_seconds=HOLD_S, create=True)
                )
                app = AppReader(url)
                with HealthPoller(health_url) as poller, app:
                    sleep_until(crash_at)
                    if not held:
                        result.error(f"{mode}: Ben's create had not reached the fake at the crash")
                    crash(primary)
                    crashed = time.monotonic()
                    time.sleep(PROMOTE_AFTER_S / 2)
                    during = _body(health_url)
                    sleep_until(crash_at + timedelta(seconds=PROMOTE_AFTER_S))
                    standby.ctl("-w", "promote")
                    promoted = time.monotonic()
                    cal_phones = {p for p in cal[1:] if p}
                    wait_until(lambda: cal_phones <= {m.to for m in fake.created}, 60, step=0.05)
                    flowing = time.monotonic()
                    # Ben's claim is taken over after the stale-claim limit, then reconciled.
                    wait_until(lambda: all_delivered(url), STALE_S + 90, step=0.5)
            finally:
                stop_daemon(run, proc, f"failover daemon ({mode})", result, f"{mode}: the daemon")
        t = tally(list(expected), fake.received())
        apply_tally(result, t, mode)
        check_rows(url, result)
        flow_s = flowing - promoted
        if flow_s > FLOW_AGAIN_S:
            result.error(f"{mode}: texts flowed again {flow_s:.1f} s after the promotion")
        unhealthy = poller.between(crashed + 1.0, promoted)
        if not unhealthy or any(s != 503 for s in unhealthy):
            result.error(f"{mode}: /healthz without a primary answered {sorted(set(unhealthy))}")
        healthy_after = _healthy_after(poller, promoted)
        result.notes.append(
            f"{mode}: {t.received}/{t.expected} texts, {t.duplicates} doubled, "
            f"{len(t.missed)} lost; replication lag {lag}; texts due without a primary reached "
            f"Twilio {flow_s:.1f} s after the promotion ({flowing - crashed:.1f} s after the "
            f"crash); /healthz 503 from the crash until {healthy_after} after the promotion "
            f"({_database_error(during)}); the app: {app.describe(crashed, promoted)}"
        )


# --- the clusters -----------------------------------------------------------------------------


@contextmanager
def replicated_pair(run: ChaosRun, *, synchronous: bool) -> Iterator[tuple[PgServer, PgServer]]:
    """A primary and a streaming hot standby on loopback ports, removed afterwards; the standby
    is the primary's synchronous one when ``synchronous``."""
    try:
        primary = start_server()
    except (FileNotFoundError, OSError) as exc:
        raise DrillSkipped(f"no PostgreSQL server here: {exc}") from None
    servers = [primary]
    try:
        primary.stop()
        primary.settings = dict(DURABLE)
        if synchronous:
            primary.settings["synchronous_standby_names"] = "standby"
        primary.start()
        base = Path(tempfile.mkdtemp(prefix="wof-pg-standby-"))
        if primary.as_user():
            shutil.chown(base, "postgres")
            os.chmod(base, 0o700)
        datadir = base / "data"
        primary.run_as_owner(
            "pg_basebackup",
            *("-h", primary.host, "-p", str(primary.port), "-U", primary.user),
            *("-D", str(datadir), "-R", "-X", "stream", "--no-sync"),
        )
        with (datadir / "postgresql.auto.conf").open("a", encoding="utf-8") as conf:
            # The name the primary's synchronous_standby_names waits for.
            conf.write(
                f"primary_conninfo = 'host={primary.host} port={primary.port} "
                f"user={primary.user} application_name=standby'\n"
            )
        standby = PgServer(
            primary.host,
            free_port(),
            primary.user,
            datadir,
            primary.bindir,
            primary.as_user(),
            settings=dict(DURABLE),
        )
        servers.append(standby)
        standby.start()
        if not wait_until(lambda: _replicating(primary, synchronous), 60, step=0.2):
            raise RuntimeError("the standby never streamed from the primary")
        run.say(f"failover: primary :{primary.port}, standby :{standby.port} ({synchronous=})")
        yield primary, standby
    finally:
        for server in servers:
            with suppress(Exception):
                server.stop()
            shutil.rmtree(server.datadir.parent, ignore_errors=True)


def _replicating(primary: PgServer, synchronous: bool) -> bool:
    import psycopg

    with psycopg.connect(
        host=primary.host, port=primary.port, user=primary.user, dbname="postgres"
    ) as conn:
        rows = conn.execute(
            "SELECT state, sync_state FROM pg_stat_replication WHERE application_name = 'standby'"
        ).fetchall()
    want = "sync" if synchronous else "async"
    return any(state == "streaming" and sync == want for state, sync in rows)


def crash(server: PgServer) -> None:
    """SIGKILL the postmaster and every process it started, as a host crash would."""
    pid = int((server.datadir / "postmaster.pid").read_text().split()[0])
    children = [p for p in _pids() if _parent(p) == pid]
    for victim in (pid, *children):
        with suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)


def _pids() -> list[int]:
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def replication_lag(primary: PgServer, standby: PgServer) -> str:
    """Commit on the primary → visible on the standby, ``LAG_SAMPLES`` times (median, max)."""
    import psycopg

    def connect(server: PgServer) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host=server.host, port=server.port, user=server.user, dbname="postgres", autocommit=True
        )

    samples: list[float] = []
    with connect(primary) as write, connect(standby) as read:
        write.execute("CREATE TABLE IF NOT EXISTS chaos_lag (n int)")
        wait_until(
            lambda: read.execute("SELECT to_regclass('chaos_lag')").fetchone() != (None,), 30
        )
        for n in range(LAG_SAMPLES):
            write.execute("INSERT INTO chaos_lag VALUES (%s)", (n,))
            committed = time.perf_counter()
            while not read.execute("SELECT 1 FROM chaos_lag WHERE n = %s", (n,)).fetchone():
                if time.perf_counter() - committed > 10:
                    break
            samples.append(time.perf_counter() - committed)
    return f"median {statistics.median(samples) * 1000:.1f} ms, max {max(samples) * 1000:.1f} ms"


# --- what people saw ------------------------------------------------------------------------


class AppReader:
    """Reads the Dashboard's model twice a second through one :class:`Database`, as the app
    holds it, and keeps what the app would have shown: the view, or its error message."""

    def __init__(self, url: str) -> None:
        self.db = Database(url)
        self.seen: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="chaos-app", daemon=True)

    def __enter__(self) -> AppReader:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.db.dispose()

    def _loop(self) -> None:
        from whoseonfirst_core.usecases.dashboard import load_dashboard
        from whoseonfirst_gui.messages import describe

        while not self._stop.wait(0.5):
            try:
                with self.db.reader() as uow:
                    view = load_dashboard(uow, datetime.now(UTC))
                said = f"the Dashboard ({view.service.state})"
            except Exception as exc:  # noqa: BLE001 - what the app would show is the result
                message = describe(exc)
                said = f"{message.title!r}: {mask_phones(message.details or message.text)[:150]}"
            self.seen.append((time.monotonic(), said))

    def describe(self, crashed: float, promoted: float) -> str:
        """Each change of what the app showed, with its time from the crash."""
        parts: list[str] = []
        last = None
        for at, said in self.seen:
            kind = said.split(":", 1)[0]
            if kind != last:
                parts.append(f"{at - crashed:+.1f} s {said}")
                last = kind
        return "; ".join(parts) + f" (promotion at +{promoted - crashed:.1f} s)"


def _body(url: str) -> str:
    """The body ``url`` answers, whatever its status."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode())
    except urllib.error.HTTPError as exc:
        return str(exc.read().decode())
    except OSError as exc:
        return f"(no answer: {exc})"


def _healthy_after(poller: HealthPoller, promoted: float) -> str:
    after = [t for t, s in poller.samples if t >= promoted and s == 200]
    return f"{after[0] - promoted:.1f} s" if after else "the end (never 200 again)"


def _database_error(body: str) -> str:
    import json

    try:
        error = json.loads(body)["checks"]["database"].get("error")
    except (ValueError, KeyError, TypeError, AttributeError):
        return f"answer: {body[:80]}"
    return f"database: {mask_phones(str(error))[:150]}"
