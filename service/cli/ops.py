"""Operator checks and chores: ``check``, ``send-test --to PHONE_OR_MEMBER``, ``backup FILE``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from whoseonfirst_core.actor import local_actor
from whoseonfirst_core.db.errors import redact_url
from whoseonfirst_core.db.session import needs_upgrade
from whoseonfirst_core.domain.notification import HANDED_OVER_STATUSES, OUTBOX_STATUSES, Kind

from ..config import ConfigError, ServiceSettings, build_backend, load_settings
from .arguments import recipient
from .context import (
    EXIT_FAIL,
    EXIT_OK,
    CliError,
    Context,
    Subcommands,
    add_command,
    command_logging,
    service_settings,
)


def cmd_check(args: argparse.Namespace, ctx: Context) -> int:
    """Check the configuration, the database and the Twilio credentials.

    Check config, database and Twilio (a harmless account fetch), the service's heartbeat and
    whether its texts go out, and the running service's /healthz on this host (WHOSEONFIRST_HTTP;
    none answering is only noted); exit 0 when all are fine, 1 otherwise.
    """
    from whoseonfirst_core.domain.service_state import is_alive, tick_age
    from whoseonfirst_core.usecases.common import has_team, settings_row
    from whoseonfirst_core.usecases.heartbeat import heartbeats

    from ..sms import SmsError

    ok = True

    def report(good: bool, what: str, detail: str) -> None:
        nonlocal ok
        ok = ok and good
        ctx.print(f"{'ok  ' if good else 'FAIL'}  {what}: {detail}")

    settings: ServiceSettings | None = None
    try:
        settings = load_settings()
        where = (
            "the real Twilio API"
            if settings.talks_to_real_twilio
            else (settings.twilio_api_url or "no texts leave this machine")
        )
        report(
            True,
            "config",
            f"SMS backend {settings.backend_name} ({where}), "
            f"database {redact_url(ctx.url)}, health endpoint {settings.http}",
        )
    except ConfigError as exc:
        report(False, "config", str(exc))
    try:
        db = ctx.db
        if needs_upgrade(db):
            report(
                False,
                "database",
                f"{redact_url(ctx.url)} reachable but not up to date: "
                "run `whoseonfirst-service db upgrade`",
            )
        else:
            with db.reader() as uow:
                if has_team(uow):
                    team = settings_row(uow).name
                    beats = heartbeats(uow)
                    report(
                        True,
                        "database",
                        f"{db.display_name} reachable, schema up to date, team {team!r}",
                    )
                    if beats:
                        age = tick_age(beats[0].last_tick_at, ctx.clock.now())
                        ctx.print(f"      service heartbeat: {beats[0].instance_id} {age}")
                        problem = beats[0].sms_problem
                        if not is_alive(beats[0].last_tick_at, ctx.clock.now()):
                            ctx.print("      sending: unknown while the service is not ticking")
                        else:
                            report(
                                problem is None,
                                "sending",
                                f"{problem} (seen by the service's last tick)"
                                if problem
                                else "texts are going out",
                            )
                else:
                    report(
                        False,
                        "database",
                        f"{db.display_name} has no team yet: "
                        "`whoseonfirst-service import FILE` or create one in the app",
                    )
    except Exception as exc:  # noqa: BLE001 - reported as one line
        from whoseonfirst_core.db.errors import describe_database_error, first_line

        report(
            False,
            "database",
            describe_database_error(exc, ctx.url)
            or f"cannot reach {redact_url(ctx.url)}: {first_line(exc)}",
        )
    if settings is not None:
        with closing(build_backend(settings, ctx.clock)) as backend:
            try:
                report(True, "sms", backend.check())
            except SmsError as exc:
                report(False, "sms", exc.reason)
        _check_service_health(settings, ctx, report)
    return EXIT_OK if ok else EXIT_FAIL


def _check_service_health(
    settings: ServiceSettings, ctx: Context, report: Callable[[bool, str, str], None]
) -> None:
    """The running service's own /healthz, when it answers on this host: what only the
    service knows (its last tick failed, e.g. the database refused its writes)."""
    from ..http import fetch_health, health_url, unhealthy_reasons

    url = health_url(settings.http_bind)
    answer = fetch_health(url)
    if answer is None:
        ctx.print(f"      service health: nothing answers at {url}/healthz on this host")
        return
    status, body = answer
    if status == 200:
        report(True, "service", f"{url}/healthz answers ok")
    else:
        report(False, "service", f"{url}/healthz answers {status}: {unhealthy_reasons(body)}")


def cmd_send_test(args: argparse.Namespace, ctx: Context) -> int:
    """Send one test text through the real path (outbox, claim, Twilio)."""
    from whoseonfirst_core.domain.masking import mask_phone
    from whoseonfirst_core.domain.phones import PhoneError, normalize_phone
    from whoseonfirst_core.usecases.common import find_member
    from whoseonfirst_core.usecases.errors import AmbiguousNameError
    from whoseonfirst_core.usecases.notifications import get_notification, queue_text
    from whoseonfirst_core.usecases.rehearsal import DRY_RUN_BACKEND, is_rehearsal

    from ..engine import Engine

    settings = service_settings()
    db = ctx.migrated_db()
    with db.uow(local_actor("send-test")) as uow:
        if is_rehearsal(
            uow.session, pretended=False, dry_run=settings.backend_name == DRY_RUN_BACKEND
        ):
            raise CliError(
                "refusing a dry-run send-test here: a service sends real texts from this "
                "database, and this pass would record the texts due now as simulated, so they "
                "would never go out. Configure the Twilio credentials to send a real test text, "
                "or queue it in the app for the running service"
            )
        try:
            member = find_member(uow, args.to)
        except AmbiguousNameError as exc:
            raise CliError(f"--to {exc}") from None
        target: str | int
        if member is not None:
            target = member.id
        else:
            try:
                target = normalize_phone(args.to)
            except PhoneError as exc:
                raise CliError(
                    f"--to: no member is called {args.to!r}, and it is not a phone number "
                    f"either ({exc})"
                ) from None
        queued = queue_text(uow, ctx.clock.now(), to=target, body=args.body, kind=Kind.TEST)
        uow.commit()
    ctx.print(
        f"queued test text #{queued.id} to {queued.recipient_name} "
        f"({mask_phone(queued.recipient_phone)})"
    )
    with (
        closing(build_backend(settings, ctx.clock)) as backend,
        command_logging(settings.log_format, settings.secrets(), ctx.err),
    ):
        Engine(db, backend, ctx.clock, instance_id=settings.instance_id).tick()
    with db.reader() as uow:
        result = get_notification(uow, queued.id)
    detail = f" ({result.error_message})" if result.error_message else ""
    ctx.print(f"test text #{result.id}: {result.status}{detail}")
    if result.status in HANDED_OVER_STATUSES:
        return EXIT_OK
    if result.status in OUTBOX_STATUSES:
        ctx.print("it will be retried by the running service; watch it in the app")
    return EXIT_FAIL


def cmd_backup(args: argparse.Namespace, ctx: Context) -> int:
    """Copy the database consistently while it is in use.

    SQLite: an online copy with the SQLite backup API (mode 0600). PostgreSQL: prints the
    pg_dump command to use.
    """
    from whoseonfirst_core.backup import (
        BackupError,
        BackupExistsError,
        backup_sqlite,
        is_postgresql,
        postgresql_commands,
        sqlite_source,
    )

    dest = Path(args.file)
    if is_postgresql(ctx.url):
        commands = postgresql_commands(ctx.url, dest)
        ctx.print("PostgreSQL is backed up with its own tool (consistent while the service runs):")
        ctx.print(f"  {commands.dump}")
        ctx.print("Give the password through ~/.pgpass or PGPASSWORD, never on the command line.")
        ctx.print(
            "Restore into a new database prepared as in docs/deployment.md section 7 "
            "(roles, owner, default privileges; no db upgrade), all or nothing:"
        )
        ctx.print(f"  {commands.restore}")
        return EXIT_OK
    try:
        size = backup_sqlite(ctx.url, dest, overwrite=args.force)
    except BackupExistsError as exc:
        raise CliError(f"{exc} (add --force to overwrite it)") from None
    except BackupError as exc:
        raise CliError(str(exc)) from None
    source = sqlite_source(ctx.url)
    ctx.print(f"backed up {source} to {dest} ({size} bytes, integrity ok, mode 0600)")
    return EXIT_OK


def add_commands(sub: Subcommands) -> None:
    add_command(sub, cmd_check)

    p = add_command(sub, cmd_send_test)
    p.add_argument(
        "--to",
        required=True,
        type=recipient,
        metavar="PHONE_OR_MEMBER",
        help="a phone number, or a member's name (a unique prefix will do)",
    )
    p.add_argument("--body", help="message text (default: a standard test text)")

    p = add_command(sub, cmd_backup)
    p.add_argument("file", help="where to write the copy")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
