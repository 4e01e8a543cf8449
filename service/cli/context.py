"""What every subcommand shares: its :class:`Context`, :class:`CliError`, the exit codes, the
service's settings and the scrubbed log handler of one command."""

from __future__ import annotations

import argparse
import inspect
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TextIO, TypeAlias

from whoseonfirst_core.clock import Clock
from whoseonfirst_core.db.errors import redact_url
from whoseonfirst_core.db.session import Database, needs_upgrade

from ..config import ConfigError, ServiceSettings, load_settings

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


Handler = Callable[[argparse.Namespace, "Context"], int]
#: The ``add_subparsers()`` object each command group adds its commands to.
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class CliError(Exception):
    """A failure to report as one line; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = EXIT_FAIL) -> None:
        super().__init__(message)
        self.code = code


class Context:
    """What a subcommand needs: the database URL, a clock, and the output streams.

    The database is opened on first use, once, by :attr:`db` (on PostgreSQL with a connect
    timeout per host: :data:`whoseonfirst_core.db.session.PG_CONNECT_TIMEOUT_S`).
    """

    def __init__(self, url: str, clock: Clock, out: TextIO, err: TextIO) -> None:
        self.url = url
        self.clock = clock
        self.out = out
        self.err = err
        self._db: Database | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(self.url)
        return self._db

    def migrated_db(self) -> Database:
        db = self.db
        if needs_upgrade(db):
            raise CliError(not_up_to_date(self.url))
        return db

    def print(self, text: str = "") -> None:
        print(text, file=self.out)

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()


def not_up_to_date(url: str) -> str:
    return (
        f"the database {redact_url(url)} is not up to date: "
        "run `whoseonfirst-service db upgrade` first"
    )


def service_settings() -> ServiceSettings:
    """The service's configuration; a problem is one line and exit 2 (:class:`ConfigError`
    names the variable, never its value)."""
    try:
        return load_settings()
    except ConfigError as exc:
        raise CliError(f"invalid configuration: {exc}", EXIT_USAGE) from None


@contextmanager
def command_logging(kind: str, secrets: Sequence[str], stream: TextIO) -> Iterator[None]:
    """Install the scrubbed log handler for one command and remove it afterwards."""
    from ..logging_setup import setup_logging

    handler = setup_logging(kind, secrets=secrets, stream=stream)
    try:
        yield
    finally:
        logging.getLogger().removeHandler(handler)


def add_command(
    sub: Subcommands, handler: Handler, *, name: str | None = None
) -> argparse.ArgumentParser:
    """Add the subcommand run by ``handler`` (named after it: ``cmd_send_test`` is
    ``send-test``, unless ``name`` is given); returns its parser for its arguments.

    The handler's docstring is the command's words: its first paragraph the one-line help in
    the command list, the rest the description ``COMMAND --help`` prints.
    """
    summary, _, rest = inspect.cleandoc(handler.__doc__ or "").partition("\n\n")
    summary = " ".join(summary.split()).removesuffix(".")
    if summary[:2] != summary[:2].upper():  # "Create the tables…" lists as "create the tables…"
        summary = summary[:1].lower() + summary[1:]
    description = " ".join(rest.split()) or None
    parser = sub.add_parser(
        name or handler.__name__.removeprefix("cmd_").replace("_", "-"),
        help=summary,
        description=description,
    )
    parser.set_defaults(handler=handler)
    return parser
