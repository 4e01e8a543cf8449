"""What went wrong with a database, in one line for people.

The app, the service's log and the command line all word database failures here, so the same
failure reads the same everywhere:

* :class:`DatabaseSetupError` and its kinds: the database cannot be used as given (a URL that is
  not one, a driver that is not installed, a folder that does not exist). ``str()`` says what
  to do and never repeats the URL, which may carry a password.
* :func:`describe_database_error`: any exception raised while talking to a database.
* :func:`permission_denied`: a PostgreSQL role (or a SQLite file) that refuses what was asked.
* :data:`APPEND_ONLY`: the audit log's triggers refusing to change or remove an entry.
* :func:`first_line`: the driver's first line of an error: no SQL, no parameters.
"""

from __future__ import annotations

import re

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

#: The two kinds of URL the product works with, for messages.
URL_EXAMPLES = "sqlite:////path/to/file.db or postgresql+psycopg://user@host/dbname"
#: Where the operator guide lists the roles and their GRANTs.
GRANTS_DOC = "docs/deployment.md, section 3"

#: What the audit log's triggers (migration 0004) say when asked to change or remove an entry.
APPEND_ONLY = "audit_log is append-only"

_INSUFFICIENT_PRIVILEGE = "42501"  # SQLSTATE
_READ_ONLY_TRANSACTION = "25006"  # a standby server, or default_transaction_read_only
_DENIED = re.compile(r"permission denied for (?P<kind>table|sequence|schema|view) (?P<name>\S+)")
_WRITES = ("insert", "update", "delete", "merge", "copy", "select setval", "select nextval")


class DatabaseSetupError(Exception):
    """The database cannot be used as given; ``str()`` says why and what to do."""


class DatabaseUrlError(DatabaseSetupError, ValueError):
    """Not a URL of a database this product can use."""


class MissingDatabaseError(DatabaseSetupError):
    """There is no SQLite file at the URL's path (and this use may not create one)."""


class DatabaseFileError(DatabaseSetupError):
    """The SQLite file cannot be created where the URL says (a missing folder, no permission)."""


def redact_url(url: str) -> str:
    """The URL with any password hidden, for logs and messages (it may carry one)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL must never leak through an error
        return "<unparseable database URL>"


def first_line(exc: BaseException) -> str:
    """The first line of the driver's message for ``exc`` (SQLAlchemy's own text adds the SQL
    and its parameters on later lines), or the exception's type name when it has no text."""
    orig = getattr(exc, "orig", None)
    lines = str(orig if orig is not None else exc).strip().splitlines()
    return lines[0].strip() if lines else type(orig if orig is not None else exc).__name__


def _sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return state if isinstance(state, str) else None


def _is_write(exc: BaseException) -> bool:
    statement = getattr(exc, "statement", None)
    if not isinstance(statement, str):
        return False
    sql = statement.lstrip().lower()
    return sql.startswith(_WRITES) or " for update" in sql  # a row lock needs UPDATE


def _lost_connection(exc: OperationalError) -> bool:
    """Connecting failed (no statement ran yet), or the connection broke during one. SQLite
    raises OperationalError for much else ("no such table", "database is locked")."""
    return exc.statement is None or bool(exc.connection_invalidated)


def permission_denied(exc: BaseException) -> str | None:
    """For a refused privilege, what was refused and what it means, e.g. ``permission denied
    for table members: this connection is read-only``; None for any other error."""
    if not isinstance(exc, DBAPIError):
        return None
    line = first_line(exc)
    if "readonly database" in line.lower():  # SQLite: a file this user may not write
        return "the database file is read-only for this user: this connection is read-only"
    state = _sqlstate(exc)
    if state == _READ_ONLY_TRANSACTION:
        return f"{line}: this connection is read-only"
    if state != _INSUFFICIENT_PRIVILEGE and "permission denied" not in line.lower():
        return None
    match = _DENIED.search(line)
    if match is None:
        return f"{line}: this role lacks the privilege"
    kind, name = match["kind"], match["name"].strip('"')
    if kind == "schema":
        return f"permission denied for schema {name}: this role may not create or change tables"
    if kind == "sequence" or _is_write(exc):
        return f"permission denied for {kind} {name}: this connection is read-only"
    return f"permission denied for {kind} {name}: this role may not read it"


def describe_database_error(exc: BaseException, url: str | None = None) -> str | None:
    """One line for people about ``exc``, naming ``url`` (password hidden) where it helps;
    None when ``exc`` is not a database error."""
    where = f" {redact_url(url)}" if url else ""
    if isinstance(exc, DatabaseSetupError):
        return str(exc)
    if isinstance(exc, DBAPIError) and APPEND_ONLY in first_line(exc):
        return (
            "the audit log is append-only: its entries cannot be changed or removed "
            "(the database refused it, nothing was changed)"
        )
    denied = permission_denied(exc)
    if denied is not None:
        if "schema" in denied:
            advice = "run `whoseonfirst-service db upgrade` and `db copy` as the owner role"
        elif "read-only" in denied:
            advice = "connect with a role that may write"
        else:
            advice = "grant it to this role"
        return f"{denied} ({advice}; see {GRANTS_DOC})"
    if isinstance(exc, OperationalError) and _lost_connection(exc):
        return f"cannot reach the database{where}: {first_line(exc)}"
    if isinstance(exc, SQLAlchemyError):
        return f"database error on{where or ' the database'}: {first_line(exc)}"
    return None
