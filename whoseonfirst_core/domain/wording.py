"""The editable wording of the texts other than the shift-start text and the answers to texts
people send (SPEC §4).

Each kind has a default and the placeholders it may use. A team's own wording is stored in
``team_settings.text_templates`` (kind → template); a kind left out, or a stored template that
no longer validates (edited outside the app), uses the default, so nobody goes untold.

The weekly summary's wording is its first line, keyed ``weekly_summary`` like the kind: the
lines after it (one per day) are the schedule itself, not wording. The shift-start text keeps
its own column (``shift_start_template``) and is not in this registry; nor are the answers to
WHO and HELP (``domain.replies``), which carriers expect to read as they are.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from whoseonfirst_core.domain.notification import Kind
from whoseonfirst_core.domain.templates import (
    DEFAULT_SUMMARY_HEADER,
    TemplateError,
    render,
    template_problems,
)

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Wording:
    kind: Kind
    default: str
    placeholders: tuple[str, ...]
    #: What each placeholder becomes, for the Settings page and error messages.
    help: str


WORDINGS: Mapping[Kind, Wording] = {
    w.kind: w
    for w in (
        Wording(
            Kind.REMINDER,
            "WhoseOnFirst reminder: Hi {name}, your on-call shift ({shift}) starts {start}.",
            ("name", "start", "end", "duration", "shift", "team"),
            "{start}/{end}: the shift's start and end (Tue 08:00 CST); {duration}: 24h; "
            "{shift}: the shift's name",
        ),
        Wording(
            Kind.CHANGE_NOTICE,
            "WhoseOnFirst: your on-call changed. {changes}",
            ("name", "team", "changes"),
            "{changes}: what changed, one line per stretch (+ now on call, \u2212 no longer)",
        ),
        Wording(
            Kind.OFF_CALL,
            "WhoseOnFirst: you are off call from {time}; {on_call} is on call.",
            ("name", "team", "time", "on_call"),
            "{time}: when they went off call (14:00 CST); {on_call}: who is on call now",
        ),
        Wording(
            Kind.FAILURE_ALERT,
            "WhoseOnFirst ALERT: could not reach {name} for the {shift} shift starting {start}. "
            "{reasons}.",
            ("name", "shift", "start", "reasons", "team"),
            "{name}: who could not be reached; {start}: the shift's start (Mon 08:00 CST); "
            "{reasons}: why, per phone (masked)",
        ),
        Wording(
            Kind.CONFIRM_REMINDER,
            "WhoseOnFirst: Please confirm your on-call shift: reply OK",
            ("name", "shift", "start", "end", "team"),
            "The second ask when a shift is not confirmed; {start}/{end}: the shift's start and "
            "end (Tue 08:00 CST); {shift}: the shift's name",
        ),
        Wording(
            Kind.UNCONFIRMED_ALERT,
            "WhoseOnFirst: {name} has not confirmed the {shift} shift ({start}).",
            ("name", "shift", "start", "team"),
            "To the escalation contacts; {name}: who has not confirmed; {start}: the shift's "
            "start (Tue 08:00 CST)",
        ),
        Wording(
            Kind.CONFIRMED_NOTICE,
            "WhoseOnFirst: {name} confirmed at {time}.",
            ("name", "shift", "time", "team"),
            "To the contacts the unconfirmed alert went to; {time}: when the OK came (08:41 CST)",
        ),
        Wording(
            Kind.OPT_OUT_ALERT,
            "WhoseOnFirst: {name} cannot be texted on {phone}: {reason}. Nothing more is sent "
            "to that phone until it replies START.",
            ("name", "phone", "reason", "team"),
            "To the escalation contacts; {name}: whose phone it is; {phone}: the number; "
            "{reason}: why (it replied STOP)",
        ),
        Wording(
            Kind.WEEKLY_SUMMARY,
            DEFAULT_SUMMARY_HEADER,
            ("start", "end", "team"),
            "The first line only (one line per day follows); {start}/{end}: the week's first "
            "and last day (Mar 2, Mar 8)",
        ),
    )
}


def wording_problems(kind: Kind, template: str) -> list[str]:
    """What is wrong with ``template`` as the wording of ``kind``."""
    return template_problems(template, WORDINGS[kind].placeholders)


def render_wording(templates: Mapping[str, str], kind: Kind, values: Mapping[str, str]) -> str:
    """The text of ``kind`` in the team's wording (``templates``), or in the default."""
    spec = WORDINGS[kind]
    template = templates.get(kind.value, spec.default)
    try:
        return render(template, values, spec.placeholders)
    except TemplateError as exc:
        _log.error("the %s wording is invalid (%s); using the default text", kind.label, exc)
        return render(spec.default, values, spec.placeholders)
