"""The editable wording of the texts other than the shift-start text (SPEC §4).

Each kind has a default and the placeholders it may use. A team's own wording is stored in
``team_settings.text_templates`` (kind → template); a kind left out, or a stored template that
no longer validates (edited outside the app), uses the default, so nobody goes untold.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from whoseonfirst_core.domain.notification import Kind
from whoseonfirst_core.domain.templates import TemplateError, render, template_problems

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
