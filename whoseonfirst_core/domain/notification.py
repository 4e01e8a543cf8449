"""The notification vocabulary: what kind of text a row is and what became of it (SPEC §4).

The outbox stores these as plain strings (``notifications.kind`` and ``.status`` carry no
CHECK constraint), so a new kind or status is one line here: a :class:`Kind` member (its label
is derived from its name), or a :class:`Status` member with its :class:`Phase`. Every set of
statuses the app, the service and ``/healthz`` use is derived from the phases below, so they
cannot disagree.

``expired`` is a problem: a text whose validity ran out before it could be handed to Twilio
(or that Twilio cancelled for the same reason) never reached its phone, exactly like a
``missed`` one. The Dashboard, the Texts page's "Problems" filter, ``/healthz``'s
``problems_24h`` and the failure alerts all count it.
"""

from __future__ import annotations

from enum import Enum, StrEnum


class Kind(StrEnum):
    """What a text is for. ``label`` is how people read it (``Shift start``)."""

    SHIFT_START = "shift_start"
    WEEKLY_SUMMARY = "weekly_summary"
    FAILURE_ALERT = "failure_alert"
    TEST = "test"
    MANUAL = "manual"
    REMINDER = "reminder"
    #: A person's on-call changed (change notices, including "on call from now").
    CHANGE_NOTICE = "change_notice"
    #: A person is no longer on call for a running shift.
    OFF_CALL = "off_call"
    #: The answer to a text someone sent to the team's number (WHO, HELP).
    REPLY = "reply"
    #: To the escalation contacts: a member's phone opted out (STOP, or Twilio error 21610).
    OPT_OUT_ALERT = "opt_out_alert"
    #: To the member: their running shift is still unconfirmed, please reply OK (the second ask).
    CONFIRM_REMINDER = "confirm_reminder"
    #: To the escalation contacts: a member has not confirmed their running shift.
    UNCONFIRMED_ALERT = "unconfirmed_alert"
    #: To the contacts an unconfirmed alert went to: the member confirmed after all.
    CONFIRMED_NOTICE = "confirmed_notice"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


def kind_label(kind: str) -> str:
    """The label of ``kind``; a value this version does not know is shown as it is stored."""
    try:
        return Kind(kind).label
    except ValueError:
        return kind


#: Kinds an admin queues by hand (from the app or ``send-test``), outside the schedule.
BY_HAND_KINDS = frozenset({Kind.TEST, Kind.MANUAL})


class Phase(Enum):
    """Where a text stands: still ours to send, at Twilio, done, or a problem."""

    #: In the outbox: not yet (or not known to be) handed to Twilio.
    OUTBOX = "outbox"
    #: Accepted by Twilio, delivery not yet confirmed.
    AT_PROVIDER = "at_provider"
    #: Final, and it got through (or was simulated by the dry-run backend).
    DONE = "done"
    #: Final, and it did not reach the phone.
    PROBLEM = "problem"


class Status(StrEnum):
    """The life of one outbox row. ``phase`` says which named sets it belongs to."""

    phase: Phase

    QUEUED = "queued", Phase.OUTBOX
    SENDING = "sending", Phase.OUTBOX
    SENT = "sent", Phase.AT_PROVIDER
    DELIVERED = "delivered", Phase.DONE
    UNDELIVERED = "undelivered", Phase.PROBLEM
    FAILED = "failed", Phase.PROBLEM
    MISSED = "missed", Phase.PROBLEM
    SIMULATED = "simulated", Phase.DONE
    EXPIRED = "expired", Phase.PROBLEM

    def __new__(cls, value: str, phase: Phase = Phase.OUTBOX) -> Status:
        member = str.__new__(cls, value)
        member._value_ = value
        member.phase = phase
        return member


def _in(*phases: Phase) -> frozenset[Status]:
    return frozenset(s for s in Status if s.phase in phases)


#: Queued or being sent now: what ``/healthz`` reports as ``pending``.
OUTBOX_STATUSES = _in(Phase.OUTBOX)
#: May still get through: in the outbox or in Twilio's hands.
IN_FLIGHT_STATUSES = _in(Phase.OUTBOX, Phase.AT_PROVIDER)
#: Handed to Twilio (or the dry run): what ``send-test`` reports as success.
HANDED_OVER_STATUSES = _in(Phase.AT_PROVIDER, Phase.DONE)
#: Nothing more will happen to the row.
FINAL_STATUSES = _in(Phase.DONE, Phase.PROBLEM)
#: Final and did not reach the phone: shown as problems, counted by ``/healthz``, alerted.
PROBLEM_STATUSES = _in(Phase.PROBLEM)


def ordered(statuses: frozenset[Status]) -> tuple[Status, ...]:
    """``statuses`` in declaration order (for stable queries, menus and messages)."""
    return tuple(s for s in Status if s in statuses)
