"""``run`` (the daemon the systemd unit starts) and ``tick [--now ISO]`` (one pass, then exit)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import closing

from whoseonfirst_core.clock import Clock
from whoseonfirst_core.db.errors import redact_url
from whoseonfirst_core.db.session import needs_upgrade

from ..config import build_backend
from .context import (
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    Context,
    Subcommands,
    add_command,
    command_logging,
    not_up_to_date,
    service_settings,
)


def cmd_run(args: argparse.Namespace, ctx: Context) -> int:
    """Run the service: send texts at shift starts (the systemd unit runs this).

    Run the notification service until SIGTERM. Configuration comes from environment variables
    (WHOSEONFIRST_*, TWILIO_*; secrets also from *_FILE).
    """
    import logging

    from sqlalchemy.exc import OperationalError

    from ..clock_steps import ClockWatch
    from ..daemon import Daemon, SystemdNotifier
    from ..engine import Engine

    settings = service_settings()
    with command_logging(settings.log_format, settings.secrets(), sys.stdout):
        log = logging.getLogger("whoseonfirst_service.run")
        db = ctx.db
        try:
            if needs_upgrade(db):
                raise CliError(not_up_to_date(ctx.url))
        except OperationalError:
            log.error(
                "the database %s is not reachable yet; the service starts anyway and keeps trying",
                redact_url(ctx.url),
            )
        with closing(build_backend(settings, ctx.clock)) as backend:
            engine = Engine(
                db,
                backend,
                ctx.clock,
                instance_id=settings.instance_id,
                clock_watch=ClockWatch(ctx.clock),
            )
            try:
                daemon = Daemon(
                    engine,
                    clock=ctx.clock,
                    http_bind=settings.http_bind,
                    feeds_bind=settings.feeds_bind,
                    notifier=SystemdNotifier.from_env(),
                )
                return daemon.run()
            except OSError as exc:
                host, port = settings.http_bind
                if settings.feeds is not None:
                    raise CliError(
                        f"cannot serve /healthz on {host}:{port} or the calendar feeds on "
                        f"{settings.feeds} ({exc.strerror or exc}); set WHOSEONFIRST_HTTP and "
                        "WHOSEONFIRST_FEEDS to free host:port pairs"
                    ) from None
                raise CliError(
                    f"cannot serve /healthz on {host}:{port} ({exc.strerror or exc}); "
                    "set WHOSEONFIRST_HTTP to a free host:port"
                ) from None


#: Drill hook, for ``python -m chaos`` only: ``WHOSEONFIRST_CRASH_AT=<point>`` makes ``tick --now``
#: kill its own process with SIGKILL the first time the engine reaches ``<point>`` (see the
#: ``Engine`` hooks). Unset — always, outside drills — it does nothing; ``run`` never reads it.
CRASH_AT_ENV = "WHOSEONFIRST_CRASH_AT"
CRASH_POINTS = (
    "before_claim",
    "after_claim",
    "after_send",
    "before_record_commit",
    "after_inbound_list",
)


def _drill_crash_hook(now_given: bool) -> dict[str, Callable[[int], None]]:
    """``{point: kill-this-process}`` when ``WHOSEONFIRST_CRASH_AT`` is set, else ``{}``."""
    import os

    point = os.environ.get(CRASH_AT_ENV, "").strip()
    if not point:
        return {}
    if point not in CRASH_POINTS or not now_given:
        raise CliError(
            f"{CRASH_AT_ENV} is a drill hook: use it with tick --now and one of "
            f"{', '.join(CRASH_POINTS)}",
            EXIT_USAGE,
        )

    def crash(_notification_id: int) -> None:
        import signal

        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))

    return {point: crash}


def cmd_tick(args: argparse.Namespace, ctx: Context) -> int:
    """Do one pass of due work now, then exit.

    One pass of due work (plan, send, poll, alert), then exit. --now pretends it is another
    instant; it is refused against the real Twilio API. On a database the service uses (it has a
    heartbeat or a tick mark from a real-time tick) a --now tick is a rehearsal: it runs in a
    transaction that is rolled back, so it keeps no text, heartbeat or tick mark, and it does
    not ask Twilio about texts already sent. On a database where only --now ticks ran (a drill)
    each tick is kept. A dry-run tick on a database where a service with a real SMS backend
    ticks is a rehearsal too.
    """
    from contextlib import nullcontext

    from whoseonfirst_core.clock import FixedClock
    from whoseonfirst_core.domain.timeutil import parse_instant
    from whoseonfirst_core.usecases.rehearsal import DRY_RUN_BACKEND, is_rehearsal

    from ..engine import Engine
    from ..rehearsal import RolledBackDatabase

    settings = service_settings()
    # ``is not None``: an empty --now (an unset shell variable) is a mistake to report, not a
    # request for a real-time tick.
    crash_hook = _drill_crash_hook(args.now is not None)
    clock: Clock = ctx.clock
    if args.now is not None:
        if settings.talks_to_real_twilio:
            raise CliError(
                "refusing --now while texts would go to the real Twilio API: pretending another "
                "time there would text real people. Set WHOSEONFIRST_TWILIO_API_URL (a mock) or "
                "WHOSEONFIRST_SMS_BACKEND=dry-run",
                EXIT_USAGE,
            )
        try:
            clock = FixedClock(parse_instant(args.now))
        except ValueError as exc:
            raise CliError(f"--now: {exc}", EXIT_USAGE) from None
    with command_logging(settings.log_format, settings.secrets(), ctx.err):
        db = ctx.migrated_db()
        with closing(build_backend(settings, ctx.clock)) as backend:
            with db.reader() as uow:
                rehearsing = is_rehearsal(
                    uow.session,
                    pretended=args.now is not None,
                    dry_run=backend.name == DRY_RUN_BACKEND,
                )
            with RolledBackDatabase(db) if rehearsing else nullcontext(db) as tick_db:
                summary = Engine(
                    tick_db,
                    backend,
                    clock,
                    instance_id=settings.instance_id,
                    before_claim=crash_hook.get("before_claim"),
                    after_claim=crash_hook.get("after_claim"),
                    after_send=crash_hook.get("after_send"),
                    before_record_commit=crash_hook.get("before_record_commit"),
                    after_inbound_list=crash_hook.get("after_inbound_list"),
                    pretended_clock=args.now is not None,
                    poll=not rehearsing,
                ).tick()
    if rehearsing:
        ctx.print(REHEARSAL_NOTE)
    elif args.now is not None:
        ctx.print(DRILL_NOTE)
    ctx.print(f"tick at {summary.started_at.isoformat()}: {summary.describe()}")
    if summary.next_due_at is not None:
        ctx.print(f"next due: {summary.next_due_at.isoformat()}")
    return EXIT_OK


REHEARSAL_NOTE = (
    "rehearsal: the service uses this database (and this tick pretends the time, or is a dry "
    "run beside a service that sends real texts), so it ran in a transaction that was rolled "
    "back: nothing was kept (no text, heartbeat or tick mark), and Twilio was not asked about "
    "texts already sent"
)
DRILL_NOTE = (
    "drill: no real-time tick has run on this database, so this tick was kept; the texts it "
    "recorded will not be sent again, so do not put this database in service"
)


def add_commands(sub: Subcommands) -> None:
    add_command(sub, cmd_run)

    p = add_command(sub, cmd_tick)
    p.add_argument(
        "--now",
        metavar="ISO",
        help="the instant to pretend, with its UTC offset (e.g. 2026-03-02T08:00:30-06:00)",
    )
