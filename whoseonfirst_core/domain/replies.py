"""What a text someone sent to the team's number asks for (pure functions, SPEC §4).

People answer by text: a keyword, any case, with surrounding spaces and punctuation ignored.
The carriers' opt-out words (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT) stop texts to that
phone; START, UNSTOP — and YES from a phone that has opted out — start them again; WHO or
ONCALL asks who is on call; HELP asks what the number is for; OK, YES, Y or 1 confirms a shift.
Anything else is kept and shown, and answered with nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum

from whoseonfirst_core.domain.phones import display_phone
from whoseonfirst_core.domain.resolution import ResolvedSpan
from whoseonfirst_core.domain.timeutil import fmt_local


@dataclass(frozen=True, slots=True)
class InboundText:
    """A message someone sent to the team's number, as the SMS provider lists it (UTC)."""

    sid: str
    sender: str
    to: str
    body: str
    sent_at: datetime


class Asks(StrEnum):
    """What an inbound text asks for."""

    CONFIRM = "confirm"
    STOP = "stop"
    START = "start"
    WHO = "who"
    HELP = "help"
    OTHER = "other"


STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})
CONFIRM_WORDS = frozenset({"OK", "YES", "Y", "1"})
WHO_WORDS = frozenset({"WHO", "ONCALL"})
HELP_WORDS = frozenset({"HELP"})


def keyword(body: str) -> str:
    """The text as one keyword: upper case, without the spaces and punctuation around it
    (``" ok! "`` → ``OK``; ``"on call"`` → ``ONCALL``)."""
    return "".join(c for c in body.upper() if c.isalnum())


def asks(body: str, *, opted_out: bool) -> Asks:
    """What ``body`` asks for, from a phone that has (``opted_out``) or has not opted out.

    YES from an opted-out phone starts texts again (the carriers' convention); from any other
    phone it confirms.
    """
    word = keyword(body)
    if word in STOP_WORDS:
        return Asks.STOP
    if word in START_WORDS or (opted_out and word == "YES"):
        return Asks.START
    if word in CONFIRM_WORDS:
        return Asks.CONFIRM
    if word in WHO_WORDS:
        return Asks.WHO
    if word in HELP_WORDS:
        return Asks.HELP
    return Asks.OTHER


HELP_TEXT = (
    "WhoseOnFirst on-call texts for {team}. Reply WHO for who is on call, OK to confirm your "
    "shift, STOP to stop texts, START to get them again."
)


def help_text(team: str) -> str:
    return HELP_TEXT.format(team=team)


def who_text(
    now: datetime,
    spans: Sequence[ResolvedSpan],
    names: Mapping[int, str],
    phones: Mapping[int, str],
    tz: tzinfo,
) -> str:
    """``On call: Ann Archer +1 312-555-0101 until Thu 08:00 CST. Next: Ben Brooks.``

    ``spans`` are the resolved spans from ``now`` on (unclipped, in time order); the "until"
    is the end of the on-call person's whole stretch (back-to-back spans are one).
    """
    ordered = sorted(spans, key=lambda s: s.start)
    current = next((s for s in ordered if s.start <= now < s.end), None)
    if current is None:
        nxt = next((s for s in ordered if s.start > now), None)
        if nxt is None:
            return "Nobody is on call now, and nobody is scheduled."
        return (
            f"Nobody is on call now. Next: {names.get(nxt.member_id, '?')} from "
            f"{fmt_local(nxt.start, tz)}."
        )
    end = current.end
    for s in ordered:
        if s.member_id == current.member_id and s.start == end:
            end = s.end
    nxt = next((s for s in ordered if s.start >= end and s.member_id != current.member_id), None)
    phone = phones.get(current.member_id)
    who = names.get(current.member_id, "?") + (f" {display_phone(phone)}" if phone else "")
    text = f"On call: {who} until {fmt_local(end, tz)}."
    if nxt is not None:
        text += f" Next: {names.get(nxt.member_id, '?')}."
    return text
