"""Argument types of the subcommands: each turns a bad value into argparse's one-line usage
error, naming the argument."""

from __future__ import annotations

import argparse
from datetime import date

from whoseonfirst_core.db.errors import DatabaseUrlError
from whoseonfirst_core.db.session import check_database_url

#: ``--days`` of ``preview`` and ``simulate``: at most about ten years.
MAX_DAYS = 3660


def local_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def day_count(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= n <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_DAYS}")
    return n


def database_url(text: str) -> str:
    try:
        check_database_url(text)
    except DatabaseUrlError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def recipient(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty: give a phone number or a member's name")
    return text


def add_window(
    parser: argparse.ArgumentParser,
    *,
    default_days: int,
    json_help: str,
    csv_help: str | None = None,
) -> None:
    """``--from DATE``, ``--days N`` and ``--json`` (or, with ``csv_help``, one of ``--json``
    and ``--csv``): the window of ``preview`` and ``simulate``."""
    parser.add_argument(
        "--from",
        dest="start",
        type=local_day,
        required=True,
        metavar="DATE",
        help="first day, YYYY-MM-DD (local)",
    )
    parser.add_argument(
        "--days",
        type=day_count,
        default=default_days,
        help=f"number of days (default {default_days})",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help=json_help)
    if csv_help is not None:
        output.add_argument("--csv", action="store_true", help=csv_help)
