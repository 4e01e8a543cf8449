"""Undo/redo for calendar edits: each pending edit is one ``QUndoCommand`` on the plan.

The stack's clean state means "nothing pending": index 0 is the loaded calendar, every command
adds one pending edit, and a successful Save (or "take theirs") clears the stack. The commands
only touch the in-memory :class:`~whoseonfirst_gui.calendar.plan.CalendarPlan`; the plan
notifies its observers (the Qt model) after each change, so the views refresh on redo and undo
alike.
"""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand, QUndoStack

from whoseonfirst_core.domain.overrides import CalendarEdit
from whoseonfirst_gui.calendar.plan import CalendarPlan


class AddEditCommand(QUndoCommand):
    """Redo adds ``edit`` to the plan, undo removes it again."""

    def __init__(
        self, plan: CalendarPlan, edit: CalendarEdit, parent: QUndoCommand | None = None
    ) -> None:
        super().__init__(plan.describe(edit), parent)
        self.plan = plan
        self.edit = edit

    def redo(self) -> None:
        # Checked before the push (push_edit); a redo restores exactly what was undone even if
        # the clock moved on meanwhile — Save re-checks everything against the database.
        self.plan.add(self.edit, validate=False)

    def undo(self) -> None:
        self.plan.remove(self.edit)


def push_edit(stack: QUndoStack, plan: CalendarPlan, edit: CalendarEdit) -> AddEditCommand:
    """Check ``edit`` against the plan (raises
    :class:`~whoseonfirst_gui.calendar.plan.PlanError`), then push it as an undoable command."""
    plan.check(edit)
    command = AddEditCommand(plan, edit)
    stack.push(command)
    return command
