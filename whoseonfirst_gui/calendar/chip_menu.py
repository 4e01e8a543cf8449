"""The context menu of a chip or a day: every drag action, by keyboard or right-click.

On a chip: *Cover with ▸ member* (a multi-day chip: the whole shift, or that day only), *Cover
from … until …* (any hours, in a dialog), *Swap with ▸ shift*, *Cancel override* and *Show texts
for this shift*; on a day without chips: *Cover with* and *Cover from … until …*. Each action
hands the model the chip or day it was opened on (not the index: a live refresh while the menu
is open resets the model) and the model proposes the edit, as a drop would. Every entry has an
accelerator (``&``); names and times are escaped so an ``&`` in them is shown, not underlined.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from whoseonfirst_core.usecases.dto import MemberDTO
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.calendar.days import ChipSegment, DayCell, PlannedSpan, day_label
from whoseonfirst_gui.calendar.model import CalendarModel
from whoseonfirst_gui.calendar.proposals import swap_candidates
from whoseonfirst_gui.qtmodels.rows import Index


def literal(text: str) -> str:
    """``text`` shown as it is in a menu (a single ``&`` would become an accelerator)."""
    return text.replace("&", "&&")


def add_action(menu: QMenu, text: str, slot: Callable[[], object]) -> QAction:
    """A menu action that calls ``slot()`` (ignoring the ``checked`` argument)."""
    action = menu.addAction(text)
    action.triggered.connect(lambda _checked=False: slot())
    return action


def _member_menu(
    menu: QMenu,
    title: str,
    members: Sequence[MemberDTO],
    enabled: bool,
    pick: Callable[[int], object],
) -> None:
    """A submenu ``title`` with one action per member, calling ``pick(member_id)``."""
    sub = menu.addMenu(title)
    sub.setEnabled(enabled)
    for m in members:
        add_action(sub, literal(m.name), partial(pick, m.id))


def chip_menu(
    parent: QWidget,
    model: CalendarModel,
    index: Index,
    members: Sequence[MemberDTO],
    show_texts: Callable[[PlannedSpan], object],
    cover_hours: Callable[[ChipSegment | DayCell], object],
) -> QMenu:
    """The menu for the chip or day at ``index``; ``members``: who may cover (the palette);
    ``cover_hours(target)`` opens the "Cover from … until …" dialog for that chip or day."""
    menu = QMenu(parent)
    seg = model.segment(index)
    cell = model.day_cell(index)
    editable = model.read_only_reason is None
    if seg is None:
        if cell is not None:
            _member_menu(
                menu,
                f"&Cover {literal(day_label(cell.day))} with",
                members,
                editable and not cell.past,
                lambda member_id: model.propose_cover(cell, member_id),
            )
            hours = add_action(menu, "Cover &from … until …", partial(cover_hours, cell))
            hours.setEnabled(editable and not cell.past and bool(members))
        return menu
    span = seg.span
    open_ = editable and not seg.past
    others = [m for m in members if m.id != span.member_id]
    _member_menu(
        menu,
        "&Cover whole shift with" if seg.multi_day else "&Cover with",
        others,
        open_,
        lambda member_id: model.propose_cover(seg, member_id, whole_span=True),
    )
    if seg.multi_day and cell is not None:
        _member_menu(
            menu,
            f"Cover {literal(day_label(cell.day))} &only with",
            others,
            open_,
            lambda member_id: model.propose_cover(seg, member_id, whole_span=False),
        )
    hours = add_action(menu, "Cover &from … until …", partial(cover_hours, seg))
    hours.setEnabled(open_ and bool(members))
    swap = menu.addMenu("&Swap with")
    first_day = model.first_day
    candidates = (
        swap_candidates(model.plan, span.entry_id, first_day, model.day_count)
        if open_ and span.entry_id is not None and first_day is not None
        else []
    )
    swap.setEnabled(bool(candidates))
    for other in candidates:
        if other.entry_id is not None:
            add_action(
                swap,
                literal(f"{fmt.when_compact(other.start, model.plan.tz)} · {other.member_name}"),
                partial(model.propose_swap, seg, other.entry_id),
            )
    cancel = add_action(menu, "C&ancel override", partial(model.propose_cancel, seg))
    cancel.setEnabled(open_ and span.override_id is not None)
    if span.pending and span.override_id is None and span.is_override:
        cancel.setText("C&ancel override (unsaved — use Undo)")
    menu.addSeparator()
    add_action(menu, "Show &texts for this shift", partial(show_texts, span))
    return menu
