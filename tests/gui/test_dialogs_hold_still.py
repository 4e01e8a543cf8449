"""No dialog resizes or jumps while typing; a field's problem shows under it once the user
has typed there (member, contact and template editors, and the cover dialog's own test)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QApplication, QWidget

from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.pages.contact_dialog import ContactDialog
from whoseonfirst_gui.pages.member_dialog import FIELDS, MemberDialog
from whoseonfirst_gui.pages.settings.template_editor import TemplateEditor


def _frozen(top: QWidget, *parts: QWidget) -> tuple[QSize, list[QRect]]:
    """The window's size and where each part sits, after the layout has settled."""
    layout = top.layout()
    assert layout is not None
    layout.activate()
    QApplication.processEvents()
    return top.size(), [p.geometry() for p in parts]


def test_member_dialog_opens_without_complaints_and_holds_still(
    qtbot: Any, ctx: AppContext
) -> None:
    dialog = MemberDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    assert [dialog.field_error(k) for k in FIELDS] == ["", "", "", ""]
    assert not dialog.ok_button.isEnabled()  # the name and phone are still missing
    assert "Fill in the name and phone" in dialog.ok_button.toolTip()
    before = _frozen(dialog, dialog.phone_edit, dialog.notes_edit, dialog.buttons)
    dialog.name_edit.setText("Hal Hughes")
    dialog.phone_edit.setText("555-12")
    assert dialog.field_error("phone") == "'555-12' has the wrong number of digits"
    assert dialog.field_error("secondary phone") == ""  # not typed in
    assert _frozen(dialog, dialog.phone_edit, dialog.notes_edit, dialog.buttons) == before
    dialog.phone_edit.setText("(312) 555-0177")
    assert dialog.field_error("phone") == ""
    assert _frozen(dialog, dialog.phone_edit, dialog.notes_edit, dialog.buttons) == before
    with qtbot.waitSignal(dialog.validated, timeout=5000):
        pass
    assert dialog.ok_button.isEnabled()


def test_enter_on_an_unfinished_form_names_what_is_missing(qtbot: Any, ctx: AppContext) -> None:
    dialog = MemberDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("Hal Hughes")
    assert dialog.field_error("phone") == ""
    dialog.save()
    assert dialog.field_error("phone")  # the empty phone's problem, now that OK was tried
    assert dialog.field_error("name") == ""


def test_contact_dialog_holds_still(qtbot: Any) -> None:
    dialog = ContactDialog(None)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.name_error.text() == "" and dialog.phone_error.text() == ""
    before = _frozen(dialog, dialog.phone_edit, dialog.weekly, dialog.buttons)
    dialog.name_edit.setText("  ")
    dialog.phone_edit.setText("12")
    assert dialog.phone_error.text()
    assert _frozen(dialog, dialog.phone_edit, dialog.weekly, dialog.buttons) == before


def test_template_problems_do_not_push_the_preview(qtbot: Any) -> None:
    editor = TemplateEditor("Reminder")
    qtbot.addWidget(editor)
    editor.resize(320, 260)  # room for every line (at its size hint it squeezes them)
    editor.show()
    editor.show_result([], "Hi Ann, on call from Mon 08:00 CST")
    before = _frozen(editor, editor.preview, editor.segments)
    editor.show_result(["unknown placeholder {nmae}"], None)
    assert editor.problems.text() == "Unknown placeholder {nmae}"
    assert _frozen(editor, editor.preview, editor.segments)[1][0].top() == before[1][0].top()
