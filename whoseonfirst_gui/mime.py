"""Drag-and-drop payloads: small JSON documents under our own MIME types, never pickle.

* ``application/x-whoseonfirst-member`` — ``{"member_id": 3}``: a person dragged from the team
  palette (drop on a shift to make them cover it).
* ``application/x-whoseonfirst-span`` — ``{"entry_id": 12, "start": "…", "end": "…",
  "member_id": 3}``: a shift chip dragged in the calendar (drop on another shift to swap). Times
  are ISO 8601 with an offset; ``entry_id`` is null for a cover outside any scheduled shift.

Decoding is strict: exact keys, integer ids (not booleans), aware timestamps, ``end`` after
``start``, and a size cap, so a drop from another program can never smuggle anything in. A payload
that is malformed raises :class:`PayloadError`; one that is simply absent gives ``None``.
A ``text/plain`` rendering rides along so a drop into a text editor shows something readable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QByteArray, QMimeData

from whoseonfirst_core.domain.timeutil import parse_instant, to_utc

MEMBER_MIME = "application/x-whoseonfirst-member"
SPAN_MIME = "application/x-whoseonfirst-span"
ALL_TYPES: tuple[str, ...] = (MEMBER_MIME, SPAN_MIME)

#: Our payloads are a few dozen bytes; anything much bigger is not ours.
MAX_PAYLOAD_BYTES = 4096


class PayloadError(ValueError):
    """A drag payload under our MIME type that is not well formed."""


@dataclass(frozen=True, slots=True)
class MemberPayload:
    member_id: int


@dataclass(frozen=True, slots=True)
class SpanPayload:
    entry_id: int | None
    start: datetime
    end: datetime
    member_id: int


# --- bytes <-> payloads (no Qt) ---------------------------------------------------------------


def member_bytes(member_id: int) -> bytes:
    return json.dumps({"member_id": _check_id(member_id, "member_id")}).encode()


def span_bytes(entry_id: int | None, start: datetime, end: datetime, member_id: int) -> bytes:
    if to_utc(end) <= to_utc(start):
        raise PayloadError("a span must end after it starts")
    return json.dumps(
        {
            "entry_id": None if entry_id is None else _check_id(entry_id, "entry_id"),
            "start": to_utc(start).isoformat(),
            "end": to_utc(end).isoformat(),
            "member_id": _check_id(member_id, "member_id"),
        }
    ).encode()


def parse_member(raw: bytes) -> MemberPayload:
    data = _load(raw, {"member_id"})
    return MemberPayload(_check_id(data["member_id"], "member_id"))


def parse_span(raw: bytes) -> SpanPayload:
    data = _load(raw, {"entry_id", "start", "end", "member_id"})
    entry_id = data["entry_id"]
    start, end = _instant(data["start"], "start"), _instant(data["end"], "end")
    if end <= start:
        raise PayloadError("span payload: end is not after start")
    return SpanPayload(
        None if entry_id is None else _check_id(entry_id, "entry_id"),
        start,
        end,
        _check_id(data["member_id"], "member_id"),
    )


def _load(raw: bytes, keys: set[str]) -> dict[str, Any]:
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise PayloadError("drag payload too large")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError("drag payload is not JSON") from exc
    if not isinstance(data, dict):
        raise PayloadError("drag payload is not a JSON object")
    if set(data) != keys:
        raise PayloadError(f"drag payload keys {sorted(data)} != {sorted(keys)}")
    return data


def _check_id(value: object, what: str) -> int:
    # bool is an int subclass: {"member_id": true} must not mean member 1.
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise PayloadError(f"{what} must be a positive integer")
    return value


def _instant(value: object, what: str) -> datetime:
    if not isinstance(value, str):
        raise PayloadError(f"{what} must be an ISO 8601 string")
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise PayloadError(f"{what}: {exc}") from exc


# --- QMimeData ----------------------------------------------------------------------------


def member_mime(member_id: int, text: str = "") -> QMimeData:
    """Drag data for a member; ``text`` (their name) becomes the text/plain fallback."""
    mime = QMimeData()
    mime.setData(MEMBER_MIME, QByteArray(member_bytes(member_id)))
    if text:
        mime.setText(text)
    return mime


def span_mime(
    entry_id: int | None, start: datetime, end: datetime, member_id: int, text: str = ""
) -> QMimeData:
    mime = QMimeData()
    mime.setData(SPAN_MIME, QByteArray(span_bytes(entry_id, start, end, member_id)))
    if text:
        mime.setText(text)
    return mime


def decode_member(mime: QMimeData | None) -> MemberPayload | None:
    """The member payload in ``mime``, None when there is none; raises on a malformed one."""
    if mime is None or not mime.hasFormat(MEMBER_MIME):
        return None
    return parse_member(bytes(mime.data(MEMBER_MIME).data()))


def decode_span(mime: QMimeData | None) -> SpanPayload | None:
    """The span payload in ``mime``, None when there is none; raises on a malformed one."""
    if mime is None or not mime.hasFormat(SPAN_MIME):
        return None
    return parse_span(bytes(mime.data(SPAN_MIME).data()))
