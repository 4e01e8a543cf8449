"""Bad input drill (issue 7, drill 6): hostile roster files and command lines.

Hypothesis generates the input; ``whoseonfirst_service.cli.main`` runs it in-process (fast), and
a handful of cases also run as real ``whoseonfirst-service`` processes. Invariants:

- **broken roster files** (a value of the wrong type, a missing required key, an unknown key, a
  huge string, an invalid phone, zone, date, weekday or time, duplicates, not JSON at all)
  imported into a database that has a team, with and without ``--replace``: exit status
  non-zero, no traceback, an ``error:`` message that names the field (``members[2].phone``),
  and the database exactly as before (the export, every table's row count and the revision);
- **valid but nasty** rosters (SQL metacharacters, quotes, emoji, right-to-left text, combining
  marks, names at the 100-character limit) import into an empty database, survive an export
  round trip literally, and replace a team with ``--replace`` — on SQLite and PostgreSQL;
- **fuzzed command lines** (random subcommands, options and values; invalid ``--now``,
  ``--from``, ``--days``, ``--to``; unreadable and unwritable paths; broken configuration
  variables): never a traceback or "this is a bug", a non-zero exit always comes with a message,
  and the database never changes.

The GUI's member dialog, template editor and settings page get the same treatment in
``tests/gui/test_bad_input_drill.py`` (run by pytest; the full drill runs it too).
"""

from __future__ import annotations

import collections
import contextlib
import copy
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from chaos.common import (
    MEMBERS,
    SERVICE_CMD,
    ChaosRun,
    DrillResult,
    DrillSkipped,
    has_traceback,
    roster,
)

ANCHOR = date(2026, 3, 9)
NOW = datetime.fromisoformat("2026-03-08T12:00:00-05:00")

# --- running the CLI in-process ---------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


@contextlib.contextmanager
def _env(url: str, extra: dict[str, str] | None = None) -> Iterator[None]:
    saved = {k: v for k, v in os.environ.items() if k.startswith(("WHOSEONFIRST_", "TWILIO_"))}
    for k in saved:
        del os.environ[k]
    os.environ["WHOSEONFIRST_DATABASE_URL"] = url
    os.environ["WHOSEONFIRST_SMS_BACKEND"] = "dry-run"
    os.environ.update(extra or {})
    try:
        yield
    finally:
        for k in [k for k in os.environ if k.startswith(("WHOSEONFIRST_", "TWILIO_"))]:
            del os.environ[k]
        os.environ.update(saved)


def cli(url: str, *argv: str, env: dict[str, str] | None = None, stdin: bytes = b"") -> Outcome:
    """``whoseonfirst-service ARGV`` in-process with a fixed clock; stdout/stderr captured
    (argparse and the logging fallback write to the real streams, so those are captured too)."""
    from whoseonfirst_service.cli import main

    from whoseonfirst_core.clock import FixedClock

    out, err = io.StringIO(), io.StringIO()
    saved_stdin = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    with _env(url, env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv), clock=FixedClock(NOW), out=out, err=err)
        except SystemExit as exc:  # main should never let one escape
            code = exc.code if isinstance(exc.code, int) else 1
            err.write(f"[chaos] SystemExit escaped main(): {exc.code!r}\n")
        except BaseException as exc:  # noqa: BLE001 - the very thing this drill hunts
            import traceback

            code = 99
            err.write(
                "Traceback (most recent call last):\n" + "".join(traceback.format_exception(exc))
            )
        finally:
            sys.stdin = saved_stdin
    return Outcome(code, out.getvalue(), err.getvalue())


def fingerprint(url: str) -> tuple[str, tuple[tuple[str, int], ...], str]:
    """The export, every table's row count, and the revision: equal means unchanged."""
    from sqlalchemy import func, inspect, select, table

    from whoseonfirst_core.db.session import Database, read_revision

    export = cli(url, "export")
    db = Database(url)
    try:
        names = sorted(inspect(db.engine).get_table_names())
        with db.reader() as uow:
            counts = tuple(
                (n, int(uow.session.scalar(select(func.count()).select_from(table(n))) or 0))
                for n in names
            )
            revision = str(read_revision(uow.session))
    finally:
        db.dispose()
    return export.out if export.code == 0 else f"export failed: {export.err}", counts, revision


# --- the checks ----------------------------------------------------------------------------


class Checker:
    """Collects invariant violations (with the input that caused them) and case counts."""

    def __init__(self, result: DrillResult) -> None:
        self.result = result
        self.cases: collections.Counter[str] = collections.Counter()
        self.failures: list[str] = []

    def fail(self, what: str, detail: str) -> None:
        if len(self.failures) < 40:
            self.failures.append(f"{what}: {detail}"[:400])

    def refused(self, what: str, outcome: Outcome, names: str | None) -> bool:
        """A refusal: non-zero exit, a message naming ``names``, no traceback."""
        ok = True
        if outcome.code == 0:
            self.fail(what, "accepted (exit 0)")
            ok = False
        if has_traceback(outcome.text) or "this is a bug" in outcome.text:
            self.fail(what, f"traceback or bug report: {outcome.text[-300:]!r}")
            ok = False
        # Commands report on stderr ("error: ..."); ``check`` prints its report ("FAIL ...").
        message = (
            outcome.err
            if "error:" in outcome.err
            else (outcome.out if "FAIL" in outcome.out else "")
        )
        if not message:
            self.fail(what, f"no error message: {outcome.text[-200:]!r}")
            ok = False
        elif names is not None and names not in message:
            self.fail(what, f"the message does not name {names!r}: {message[:300]!r}")
            ok = False
        return ok


# --- roster mutations -------------------------------------------------------------------------


def base_roster() -> dict[str, Any]:
    data = roster(
        anchor=ANCHOR,
        overrides=[
            {
                "member": "Cal Chen",
                "start": "2026-03-10T08:00:00-05:00",
                "end": "2026-03-10T20:00:00-05:00",
                "reason": "dentist",
            }
        ],
    )
    data["shifts"] = [
        {"name": "Weekday", "start_day": "monday", "start_time": "08:00", "duration_hours": 96},
        {"name": "Weekend", "start_day": "friday", "start_time": "08:00", "duration_hours": 72},
    ]
    data["settings"] = {
        "shift_start_template": "Hi {name}, on call {start}-{end}.",
        "weekly_summary_day": "monday",
        "weekly_summary_time": "08:00",
        "horizon_weeks": 6,
    }
    return data


#: Leaf paths of the base roster and the JSON types each accepts ("str?" also takes null).
FIELDS: dict[str, str] = {
    "format": "str",
    "version": "int",
    "team.name": "str",
    "team.timezone": "str",
    "members[1].name": "str",
    "members[1].phone": "str",
    "members[1].secondary_phone": "str?",
    "members[2].active": "bool",
    "members[3].position": "int?",
    "shifts[0].name": "str",
    "shifts[0].start_day": "str",
    "shifts[1].start_time": "str",
    "shifts[1].duration_hours": "int",
    "rotation.anchor_date": "str",
    "overrides[0].member": "str",
    "overrides[0].start": "str",
    "overrides[0].end": "str",
    "overrides[0].reason": "str",
    "escalation_contacts[0].name": "str",
    "escalation_contacts[0].phone": "str",
    "escalation_contacts[0].weekly_summary": "bool",
    "settings.shift_start_template": "str",
    "settings.weekly_summary_day": "str",
    "settings.weekly_summary_time": "str",
    "settings.horizon_weeks": "int",
    "team": "obj",
    "members": "list",
    "shifts": "list",
    "rotation": "obj",
    "overrides": "list",
    "escalation_contacts": "list",
    "settings": "obj",
}
REQUIRED = [
    "format",
    "version",
    "team",
    "team.name",
    "rotation",
    "rotation.anchor_date",
    "members[0].name",
    "members[4].phone",
    "shifts[0].start_day",
    "shifts[1].name",
    "shifts[0].start_time",
    "shifts[1].duration_hours",
    "overrides[0].member",
    "overrides[0].start",
    "overrides[0].end",
    "escalation_contacts[0].name",
    "escalation_contacts[0].phone",
]
STRING_LIMITS = {
    "team.name": 100,
    "members[1].name": 100,
    "shifts[0].name": 60,
    "overrides[0].reason": 500,
    "escalation_contacts[0].name": 100,
    "settings.shift_start_template": 1000,
}
PHONES = [
    "members[1].phone",
    "members[1].secondary_phone",
    "members[0].phone",
    "escalation_contacts[0].phone",
]


def _split(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for chunk in path.replace("]", "").split("."):
        name, *idx = chunk.split("[")
        parts.append(name)
        parts += [int(i) for i in idx]
    return parts


def _parent(data: Any, path: str) -> tuple[Any, str | int]:
    parts = _split(path)
    node = data
    for p in parts[:-1]:
        node = node[p]
    return node, parts[-1]


def set_at(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(data)
    node, last = _parent(out, path)
    node[last] = value
    return out


def drop_at(data: dict[str, Any], path: str) -> dict[str, Any]:
    out = copy.deepcopy(data)
    node, last = _parent(out, path)
    del node[last]
    return out


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    return "list" if isinstance(value, list) else "obj"


def _accepts(spec: str, value: Any) -> bool:
    kind = _kind(value)
    if spec.endswith("?") and kind == "null":
        return True
    return kind == spec.rstrip("?")


def refused_by(
    parse: Callable[[str], object], error: type[Exception] = ValueError
) -> Callable[[str], bool]:
    """A predicate for hypothesis filters: whether ``parse`` refuses a text (raises ``error``)."""

    def refused(text: str) -> bool:
        try:
            parse(text)
        except error:
            return True
        return False

    return refused


def strategies() -> Any:
    """The hypothesis strategy of broken roster files: ``(label, raw bytes, field it names)``."""
    from hypothesis import strategies as st

    from whoseonfirst_core.domain.phones import PhoneError, normalize_phone
    from whoseonfirst_core.domain.timeutil import parse_instant, zone

    base = base_roster()
    json_values = st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(10**12), 10**12)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=30),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
        ),
        max_leaves=6,
    )
    nasty_text = st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60
    ) | st.sampled_from(
        [
            "'; DROP TABLE members; --",
            '" OR 1=1 --',
            "Robert'); DELETE FROM notifications;--",
            "%s%s%n",
            "{name}",
            "\\x00",
            "\u202eevil",
            "🙂" * 30,
            "０１２",
            "null",
            "None",
        ]
    )

    def dump(data: Any) -> bytes:
        return json.dumps(data, ensure_ascii=False).encode()

    def wrong_type(path: str, value: Any) -> tuple[str, bytes, str]:
        return (f"wrong type at {path}", dump(set_at(base, path, value)), path)

    wrong = st.sampled_from(sorted(FIELDS)).flatmap(
        lambda path: json_values.filter(lambda v: not _accepts(FIELDS[path], v)).map(
            lambda v: wrong_type(path, v)
        )
    )
    missing = st.sampled_from(REQUIRED).map(
        lambda path: (f"missing {path}", dump(drop_at(base, path)), path)
    )

    def extra(where: str, key: str) -> tuple[str, bytes, str]:
        data = copy.deepcopy(base)
        node = data if where == "" else _parent(data, where + ".x")[0]
        node[key] = "surprise"
        return (
            f"unknown key {key!r} in {where or 'the top level'}",
            dump(data),
            f"{where}.{key}" if where else key,
        )

    known = {
        "format",
        "version",
        "team",
        "members",
        "shifts",
        "rotation",
        "overrides",
        "escalation_contacts",
        "settings",
        "name",
        "timezone",
        "phone",
        "secondary_phone",
        "active",
        "position",
        "start_day",
        "start_time",
        "duration_hours",
        "anchor_date",
        "member",
        "start",
        "end",
        "reason",
        "weekly_summary",
        "failure_alerts",
        "shift_start_template",
        "weekly_summary_day",
        "weekly_summary_time",
        "horizon_weeks",
    }
    extra_key = st.tuples(
        st.sampled_from(
            [
                "",
                "team",
                "members[0]",
                "shifts[1]",
                "rotation",
                "overrides[0]",
                "escalation_contacts[0]",
                "settings",
            ]
        ),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12).filter(
            lambda k: k not in known
        ),
    ).map(lambda t: extra(*t))

    huge = st.tuples(
        st.sampled_from(sorted(STRING_LIMITS)),
        st.integers(1, 5000),
        st.sampled_from(["x", "é", "🙂", " a", "{name}"]),
    ).map(
        lambda t: (
            f"huge string at {t[0]}",
            dump(set_at(base, t[0], t[2] * (STRING_LIMITS[t[0]] // len(t[2]) + t[1]))),
            t[0],
        )
    )

    not_a_phone = refused_by(normalize_phone, PhoneError)

    phone_texts = nasty_text | st.from_regex(r"\+?[0-9 ()\-.]{0,20}", fullmatch=True)
    bad_phone = st.tuples(
        st.sampled_from(PHONES), phone_texts.filter(lambda t: t.strip() != "" and not_a_phone(t))
    ).map(lambda t: (f"invalid phone at {t[0]}", dump(set_at(base, t[0], t[1])), t[0]))

    not_a_zone = refused_by(zone)

    bad_zone = (
        (
            nasty_text
            | st.sampled_from(
                ["America/Chicag0", "UTC+5", "../etc/passwd", "America/", "/usr/share/zoneinfo/UTC"]
            )
        )
        .filter(not_a_zone)
        .map(lambda z: ("invalid zone", dump(set_at(base, "team.timezone", z)), "team.timezone"))
    )

    not_instant = refused_by(parse_instant)

    bad_instant = st.tuples(
        st.sampled_from(["overrides[0].start", "overrides[0].end"]),
        (
            nasty_text
            | st.sampled_from(
                [
                    "2026-03-10T08:00:00",
                    "2026-02-30T08:00:00Z",
                    "tomorrow",
                    "2026-03-10 25:00+00:00",
                ]
            )
        ).filter(not_instant),
    ).map(lambda t: (f"invalid instant at {t[0]}", dump(set_at(base, t[0], t[1])), t[0]))
    bad_day = st.tuples(
        st.sampled_from(["shifts[0].start_day", "settings.weekly_summary_day"]),
        nasty_text.filter(
            lambda d: (
                d.strip().lower()
                not in (
                    "monday",
                    "tuesday",
                    "wednesday",
                    "thursday",
                    "friday",
                    "saturday",
                    "sunday",
                )
            )
        ),
    ).map(lambda t: (f"invalid weekday at {t[0]}", dump(set_at(base, t[0], t[1])), t[0]))

    from whoseonfirst_core.domain.timeutil import parse_hhmm

    not_hhmm = refused_by(parse_hhmm)

    bad_time = st.tuples(
        st.sampled_from(["shifts[1].start_time", "settings.weekly_summary_time"]),
        (nasty_text | st.sampled_from(["24:00", "8:00", "08:60", "08:00:00", "0800"])).filter(
            not_hhmm
        ),
    ).map(lambda t: (f"invalid time at {t[0]}", dump(set_at(base, t[0], t[1])), t[0]))

    def not_date(text: str) -> bool:
        try:
            return date.fromisoformat(text).isoformat() != text
        except ValueError:
            return True

    bad_anchor = (
        (nasty_text | st.sampled_from(["2026-02-30", "20260309", "2026-3-9"]))
        .filter(not_date)
        .map(
            lambda d: (
                "invalid anchor date",
                dump(set_at(base, "rotation.anchor_date", d)),
                "rotation.anchor_date",
            )
        )
    )
    out_of_range = st.one_of(
        st.integers(-1000, 0).map(
            lambda h: (
                "duration too short",
                dump(set_at(base, "shifts[1].duration_hours", h)),
                "shifts[1].duration_hours",
            )
        ),
        st.integers(169, 10**9).map(
            lambda h: (
                "duration too long",
                dump(set_at(base, "shifts[1].duration_hours", h)),
                "shifts[1].duration_hours",
            )
        ),
        st.one_of(st.integers(-100, 3), st.integers(105, 10**6)).map(
            lambda w: (
                "horizon out of range",
                dump(set_at(base, "settings.horizon_weeks", w)),
                "settings.horizon_weeks",
            )
        ),
        st.sampled_from(["{when}", "{name!r}", "{start:>10}", "}{", "{", "   "]).map(
            lambda t: (
                "bad template",
                dump(set_at(base, "settings.shift_start_template", t)),
                "settings.shift_start_template",
            )
        ),
    )
    duplicates = st.sampled_from(
        [
            ("duplicate name", set_at(base, "members[1].name", "ann archer"), "members[1].name"),
            (
                "duplicate phone",
                set_at(base, "members[2].phone", MEMBERS[0][1]),
                "members[2].phone",
            ),
            (
                "secondary = primary",
                set_at(base, "members[1].secondary_phone", MEMBERS[1][1]),
                "members[1].secondary_phone",
            ),
            (
                "override by a stranger",
                set_at(base, "overrides[0].member", "Zed Zero"),
                "overrides[0].member",
            ),
            (
                "override ends before it starts",
                set_at(base, "overrides[0].end", "2026-03-10T07:00:00-05:00"),
                "overrides[0]",
            ),
            ("overlapping shifts", set_at(base, "shifts[1].start_day", "tuesday"), "shifts"),
            ("empty name", set_at(base, "members[1].name", " \t "), "members[1].name"),
            ("format", set_at(base, "format", "whoseonfirst-roster-v2"), "format"),
            ("version", set_at(base, "version", 2), "version"),
            ("version true", set_at(base, "version", True), "version"),
            ("version 1.0", set_at(base, "version", 1.0), "version"),
            ("format with a space", set_at(base, "format", "whoseonfirst-roster "), "format"),
            ("NUL in a name", set_at(base, "members[1].name", "Ben\x00Brooks"), "members[1].name"),
            (
                "escape in a reason",
                set_at(base, "overrides[0].reason", "\x1b[31mred"),
                "overrides[0].reason",
            ),
            (
                "NUL in the template",
                set_at(base, "settings.shift_start_template", "Hi {name}\x00"),
                "settings.shift_start_template",
            ),
            (
                "bell in a shift name",
                set_at(base, "shifts[0].name", "Week\x07day"),
                "shifts[0].name",
            ),
            ("NUL in the team name", set_at(base, "team.name", "\x00"), "team.name"),
        ]
    ).map(lambda t: (t[0], dump(t[1]), t[2]))
    not_json = (
        st.one_of(
            st.binary(max_size=200).filter(lambda b: not _is_json_object(b)),
            st.integers(1, len(dump(base)) - 1).map(lambda n: dump(base)[:n]),
            st.sampled_from(
                [
                    b"",
                    b"[]",
                    b"null",
                    b'"roster"',
                    b"42",
                    b"[" * 100_000,
                    b"{" + b'"a":{' * 50_000,
                    b"\xef\xbb\xbf[]",
                    b"\xff\xfe[\x00]\x00",
                    dump(base).replace(b'"', b"'"),
                ]
            ),
        )
        .filter(lambda raw: not _is_json_object(raw))
        .map(lambda raw: ("not a roster file", raw, "(file)"))
    )
    return st.one_of(
        wrong,
        missing,
        extra_key,
        huge,
        bad_phone,
        bad_zone,
        bad_instant,
        bad_day,
        bad_time,
        bad_anchor,
        out_of_range,
        duplicates,
        not_json,
    )


def _is_json_object(raw: bytes) -> bool:
    try:
        return isinstance(json.loads(raw), dict)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False


def valid_nasty_rosters() -> Any:
    """Rosters that are valid but hostile: names full of SQL and Unicode."""
    from hypothesis import strategies as st

    name = (
        st.one_of(
            st.text(
                alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]),
                min_size=1,
                max_size=100,
            ),
            st.sampled_from(
                [
                    "Robert'); DROP TABLE members;--",
                    'O\'Brien "Bob" %_\\',
                    "名前 テスト",
                    "مرحبا بالعالم",
                    "Zoë \u0301\u0301\u0301",
                    "👩‍💻 on-call",
                    "x" * 100,
                    "a;b|c&d$(e)`f`",
                ]
            ),
        )
        .map(lambda n: " ".join(n.split()))
        .filter(lambda n: 0 < len(n) <= 100)
    )
    names = st.lists(name, min_size=2, max_size=6, unique_by=str.casefold)

    def build(member_names: list[str]) -> dict[str, Any]:
        members = [(n, f"+1312555{200 + i:04d}", None) for i, n in enumerate(member_names)]
        return roster(
            anchor=ANCHOR,
            members=members,
            team=member_names[0],
            overrides=[
                {
                    "member": member_names[-1],
                    "start": "2026-03-10T08:00:00-05:00",
                    "end": "2026-03-10T09:00:00-05:00",
                    "reason": "'; DROP TABLE overrides; -- 🙂",
                }
            ],
        )

    return names.map(build)


# --- the drill ------------------------------------------------------------------------------


def run(run: ChaosRun) -> DrillResult:
    result = DrillResult("bad input")
    check = Checker(result)
    n = 60 if run.quick else 400
    folder = run.folder("bad-input")
    url = run.new_database("sqlite", "bad-input")
    first = cli(url, "import", _write(folder / "base.json", json.dumps(base_roster()).encode()))
    if first.code != 0:
        result.error(f"the base roster did not import: {first.err.strip()}")
        return result
    _broken_rosters(run, check, url, folder, n)
    _valid_nasty(run, check, folder, max(10, n // 6))
    _fuzzed_cli(run, check, url, folder, n)
    _subprocesses(run, check, url, folder)
    if not run.quick:
        _gui_tests(check)
    result.expected = sum(check.cases.values())
    result.received = result.expected - len(check.failures)
    for f in check.failures:
        result.error(f)
    result.notes.append(", ".join(f"{k} {v}" for k, v in sorted(check.cases.items())))
    return result


def _write(path: Path, raw: bytes) -> str:
    path.write_bytes(raw)
    return str(path)


def _settings(n: int, seed: int) -> Any:
    from hypothesis import HealthCheck, Phase, settings

    return settings(
        max_examples=n,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
        print_blob=False,
    )


def _hypothesis(check: Checker, label: str, test: Any) -> None:
    """Run a hypothesis test; a falsifying example becomes one failure line."""
    try:
        test()
    except Exception as exc:  # noqa: BLE001 - hypothesis re-raises the shrunk failure
        check.fail(label, f"{type(exc).__name__}: {str(exc)[:300]}")


def _broken_rosters(run: ChaosRun, check: Checker, url: str, folder: Path, n: int) -> None:
    from hypothesis import given, seed

    before = fingerprint(url)
    path = folder / "broken.json"

    @seed(run.seed)
    @_settings(n, run.seed)
    @given(strategies())
    def broken(case: tuple[str, bytes, str]) -> None:
        label, raw, names = case
        path.write_bytes(raw)
        for replace in (False, True):
            argv = ["import", str(path)] + (["--replace"] if replace else [])
            outcome = cli(url, *argv)
            check.cases["broken roster"] += 1
            if not check.refused(f"{label}{' (--replace)' if replace else ''}", outcome, names):
                raise AssertionError(f"{label}: {outcome.err[:300]!r}")
        after = fingerprint(url)
        if after != before:
            raise AssertionError(f"{label}: the database changed")

    _hypothesis(check, "broken roster", broken)


def _valid_nasty(run: ChaosRun, check: Checker, folder: Path, n: int) -> None:
    backends = ["sqlite"]
    try:
        run.pg_server()
        backends.append("postgresql")
    except DrillSkipped:
        pass
    for backend in backends:
        _valid_nasty_on(run, check, folder, n, backend)


def _valid_nasty_on(run: ChaosRun, check: Checker, folder: Path, n: int, backend: str) -> None:
    from hypothesis import given, seed

    from whoseonfirst_core.roster import parse_roster

    url = run.new_database(backend, f"bad-input-nasty-{backend}")
    state = {"imported": False}
    path = folder / f"nasty-{backend}.json"

    @seed(run.seed)
    @_settings(n, run.seed)
    @given(valid_nasty_rosters())
    def nasty(data: dict[str, Any]) -> None:
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        argv = ["import", str(path)] + (["--replace"] if state["imported"] else [])
        outcome = cli(url, *argv)
        check.cases[f"valid hostile roster ({backend})"] += 1
        if outcome.code != 0 or has_traceback(outcome.text):
            raise AssertionError(
                f"a valid roster was refused on {backend}: {outcome.err.strip()[:300]!r}"
            )
        state["imported"] = True
        exported = cli(url, "export")
        got = {m["name"] for m in json.loads(exported.out)["members"]}
        want = {m.name for m in parse_roster(data).members}
        if got != want:
            raise AssertionError(
                f"names did not survive the round trip on {backend}: "
                f"{sorted(want - got)!r} became {sorted(got - want)!r}"
            )

    _hypothesis(check, f"valid hostile roster ({backend})", nasty)


def _fuzzed_cli(run: ChaosRun, check: Checker, url: str, folder: Path, n: int) -> None:
    from hypothesis import assume, given, seed
    from hypothesis import strategies as st

    from whoseonfirst_core.domain.timeutil import parse_instant

    before = fingerprint(url)
    writable = folder / "out"
    writable.mkdir(exist_ok=True)
    text = st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00"),
        max_size=40,
    )
    path_arg = st.sampled_from(
        [
            str(folder / "missing" / "x.json"),
            str(folder),
            "/dev/null",
            str(writable / "new.json"),
            "-",
            "",
            "/proc/1/mem",
        ]
    )
    option = st.sampled_from(
        [
            "--from",
            "--days",
            "--json",
            "--now",
            "--to",
            "--body",
            "--replace",
            "--force",
            "--help",
            "-h",
            "--nope",
            "--",
            "-x",
        ]
    )
    token = st.one_of(
        text,
        option,
        path_arg,
        st.integers(-(10**20), 10**20).map(str),
        st.sampled_from(
            [
                "2026-03-02",
                "2026-02-30",
                "0",
                "3661",
                "-1",
                "1e3",
                "2026-03-02T08:00:00",
                "NaN",
                "∞",
            ]
        ),
    )
    safe_commands = st.sampled_from(
        [
            "preview",
            "simulate",
            "export",
            "check",
            "db",
            "import",
            "backup",
            "frobnicate",
            "",
            "--version",
            "-h",
            "help",
            "run --help",
            "tick --help",
        ]
    )

    def no_write(argv: list[str]) -> bool:
        """Keep commands that would run, text, change the database or write outside the
        scratch folder out of the random mix (``tick`` and ``send-test`` have their own
        families below; ``run`` would never return)."""
        rest = argv[2:] if argv[:1] in (["run"], ["tick"]) and argv[1:2] == ["--help"] else argv
        if any(a in ("run", "tick", "send-test", "copy") for a in rest):
            return False
        if argv and argv[0] in ("export", "backup"):
            # argparse takes "-123" (a negative number) and "-" as file names: anything that is
            # not a known option counts as a path and must stay in the scratch folder.
            options = {
                "--from",
                "--days",
                "--json",
                "--now",
                "--to",
                "--body",
                "--replace",
                "--force",
                "--help",
                "-h",
                "--nope",
                "--",
                "-x",
            }
            paths = [a for a in argv[1:] if a not in options]
            allowed = ("",) if argv[0] == "backup" else ("", "-")
            return all(a in allowed or a.startswith(str(folder)) for a in paths)
        return True

    random_argv = (
        st.tuples(safe_commands, st.lists(token, max_size=6))
        .map(lambda t: [*t[0].split(), *t[1]])
        .filter(no_write)
    )

    not_instant = refused_by(parse_instant)

    tick_argv = (
        st.one_of(text, st.sampled_from(["2026-03-02T08:00:00", "now", "", "2026-13-01T00:00:00Z"]))
        .filter(not_instant)
        .map(lambda v: ["tick", "--now", v])
    )
    send_test_argv = st.tuples(text, st.one_of(st.none(), text)).map(
        lambda t: ["send-test", "--to", t[0]] + ([] if t[1] is None else ["--body", t[1]])
    )
    from whoseonfirst_service.cli.run import CRASH_POINTS

    config_env = st.one_of(
        st.tuples(
            st.sampled_from(
                [
                    "WHOSEONFIRST_HTTP",
                    "WHOSEONFIRST_LOG_FORMAT",
                    "WHOSEONFIRST_SMS_BACKEND",
                    "TWILIO_ACCOUNT_SID",
                    "TWILIO_FROM_NUMBER",
                    "WHOSEONFIRST_TWILIO_API_URL",
                    "WHOSEONFIRST_INSTANCE_ID",
                    "TWILIO_AUTH_TOKEN_FILE",
                ]
            ),
            text.filter(lambda v: v.strip() != ""),
            st.sampled_from(
                [
                    ["check"],
                    ["tick", "--now", "2026-03-02T08:00:30-06:00"],
                    ["send-test", "--to", "Ann"],
                ]
            ),
        ),
        # The drill hook: never a real crash point here (it would kill this very process).
        st.tuples(
            st.just("WHOSEONFIRST_CRASH_AT"),
            text.filter(lambda v: v.strip() != "" and v.strip() not in CRASH_POINTS),
            st.sampled_from([["tick", "--now", "2026-03-02T08:00:30-06:00"], ["tick"]]),
        ),
    )

    @seed(run.seed)
    @_settings(n, run.seed)
    @given(
        st.one_of(
            random_argv.map(lambda a: ("argv", a, None)),
            tick_argv.map(lambda a: ("tick --now", a, None)),
            send_test_argv.map(lambda a: ("send-test", a, None)),
            config_env.map(lambda t: ("config", t[2], {t[0]: t[1]})),
        )
    )
    def fuzz(case: tuple[str, list[str], dict[str, str] | None]) -> None:
        family, argv, env = case
        if family == "send-test":
            assume(_send_test_refused(url, argv[2]))
        if family == "config" and env is not None:
            name, value = next(iter(env.items()))
            # A valid value would let the command run (and text, or write); keep the invalid.
            assume(not _config_valid(name, value))
            if name in ("TWILIO_ACCOUNT_SID", "TWILIO_FROM_NUMBER"):
                env = {
                    **env,
                    "WHOSEONFIRST_SMS_BACKEND": "twilio",
                    "TWILIO_AUTH_TOKEN": run.auth_token,
                    "TWILIO_ACCOUNT_SID": env.get("TWILIO_ACCOUNT_SID", "AC" + "0" * 32),
                    "TWILIO_FROM_NUMBER": env.get("TWILIO_FROM_NUMBER", "+13125550100"),
                    "WHOSEONFIRST_TWILIO_API_URL": "http://127.0.0.1:9",
                }
        outcome = cli(url, *argv, env=env)
        check.cases[f"fuzzed command line ({family})"] += 1
        label = f"{family} {argv!r}" + (f" with {env!r}" if env else "")
        if has_traceback(outcome.text) or "this is a bug" in outcome.text:
            raise AssertionError(f"{label}: traceback: {outcome.text[-400:]!r}")
        if family in ("tick --now", "send-test", "config"):
            if not check.refused(label, outcome, None):
                raise AssertionError(f"{label}: not refused properly")
        elif outcome.code != 0 and not outcome.err.strip():
            raise AssertionError(f"{label}: exit {outcome.code} without a message")
        after = fingerprint(url)
        if after != before:
            raise AssertionError(f"{label}: the database changed")

    _hypothesis(check, "fuzzed command line", fuzz)


def _send_test_refused(url: str, to: str) -> bool:
    """Whether ``send-test --to TO`` must be refused: no unique member matches and it is not a
    phone number (otherwise it would queue and send a text, changing the database)."""
    from whoseonfirst_core.domain.phones import PhoneError, normalize_phone

    wanted = " ".join(to.split()).casefold()
    names = [m[0].casefold() for m in MEMBERS]
    matches = [n for n in names if n == wanted] or [n for n in names if n.startswith(wanted)]
    if len(matches) == 1:
        return False
    if len(matches) > 1:
        return True
    try:
        normalize_phone(to)
    except PhoneError:
        return True
    return False


def _config_valid(name: str, value: str) -> bool:
    from whoseonfirst_service.config import ConfigError, load_settings

    if name == "WHOSEONFIRST_CRASH_AT":
        return False  # any value but a crash point is refused (crash points never get here)
    try:
        load_settings({name: value, "WHOSEONFIRST_DATABASE_URL": "sqlite://"})
    except ConfigError:
        return False
    return True


def _subprocesses(run: ChaosRun, check: Checker, url: str, folder: Path) -> None:
    """A few cases as real processes: the console script must behave like ``main``."""
    base = base_roster()
    before = fingerprint(url)
    huge = folder / "huge.json"
    huge.write_bytes(b'{"format": "' + b"x" * (6 * 1024 * 1024) + b'"}')
    cases: list[tuple[str, list[str], bytes | None, str | None]] = [
        ("not JSON", ["import", _write(folder / "p1.json", b"{nope")], None, "(file)"),
        (
            "bad phone",
            [
                "import",
                _write(
                    folder / "p2.json",
                    json.dumps(set_at(base, "members[2].phone", "555-12")).encode(),
                ),
            ],
            None,
            "members[2].phone",
        ),
        ("larger than 5 MiB", ["import", str(huge)], None, "(file)"),
        ("a folder", ["import", str(folder)], None, str(folder)),
        ("stdin garbage", ["import", "-"], b"\x00\xff garbage", "(file)"),
        (
            "unknown key via stdin",
            ["import", "-", "--replace"],
            json.dumps({**base, "colour": "red"}).encode(),
            "colour",
        ),
        ("bad --now", ["tick", "--now", "next tuesday"], None, "--now"),
        ("bad --days", ["preview", "--from", "2026-03-02", "--days", "0"], None, "--days"),
        ("unknown command", ["frobnicate"], None, "frobnicate"),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WHOSEONFIRST_", "TWILIO_"))}
    env.update({"WHOSEONFIRST_DATABASE_URL": url, "WHOSEONFIRST_SMS_BACKEND": "dry-run"})
    for label, argv, stdin, names in cases:
        proc = subprocess.run(
            [*SERVICE_CMD, *argv],
            input=stdin or b"",
            capture_output=True,
            env=env,
            timeout=120,
            check=False,
        )
        outcome = Outcome(
            proc.returncode,
            proc.stdout.decode(errors="replace"),
            proc.stderr.decode(errors="replace"),
        )
        run.evidence.add_log(f"bad-input process {label}", outcome.out, outcome.err, kind="output")
        check.cases["real process"] += 1
        check.refused(f"process: {label}", outcome, names)
    if fingerprint(url) != before:
        check.fail("real processes", "the database changed")


def _gui_tests(check: Checker) -> None:
    """The GUI half of the drill (pytest-qt), as one process."""
    try:
        import PySide6  # noqa: F401
    except ImportError:
        check.cases["GUI drill skipped (no PySide6)"] += 1
        return
    test = Path(__file__).resolve().parent.parent / "tests" / "gui" / "test_bad_input_drill.py"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        cwd=test.parent.parent.parent,
    )
    check.cases["GUI drill (pytest)"] += 1
    if proc.returncode != 0:
        check.fail("GUI drill", proc.stdout[-600:])
