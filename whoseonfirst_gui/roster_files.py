"""The File menu's roster import and export: ask for the file, run the core's import or export
on the worker thread, and say what happened. The roster package (pydantic) is imported there,
when a file is read or written, not at start-up."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.tell import change_uow


def _ask_roster_file(window: QWidget, *, save: bool) -> str:
    """The roster file the user picks to export to (``save``) or import from; "" for none."""
    if save:
        path, _ = QFileDialog.getSaveFileName(
            window, "Export roster", "roster.json", "Roster files (*.json)"
        )
    else:
        path, _ = QFileDialog.getOpenFileName(
            window, "Import roster", "", "Roster files (*.json);;All files (*)"
        )
    return path


def import_roster(
    window: QWidget, ctx: AppContext, team_name: str | None, path: str | None = None
) -> None:
    """File ▸ Import roster…: a first import, or one that replaces the team ``team_name``
    (confirmed)."""
    path = path if path is not None else _ask_roster_file(window, save=False)
    if not path:
        return
    replace, tell = False, True  # a first import tells nobody anyway
    if team_name is not None:
        confirmed, tell = ctx.messages.confirm_change(
            "Replace the team's configuration?",
            f"Import {Path(path).name} over {team_name}? Members are matched by name; "
            "history is kept. Nothing changes if the file has a problem.",
            QMessageBox.StandardButton.Yes,
        )
        if not confirmed:
            return
        replace = True
    db, actor, clock = ctx.db, ctx.actor, ctx.clock

    def task() -> dict[str, int]:
        from whoseonfirst_core.roster import import_roster_data

        raw = Path(path).read_bytes()  # an unreadable file is the task's error message
        with change_uow(db, actor, clock.now(), tell=tell) as uow:
            counts = import_roster_data(uow, clock.now(), raw, replace=replace)
            uow.commit()
            return counts

    def done(counts: dict[str, int]) -> None:
        summary = ", ".join(f"{v} {k}" for k, v in counts.items())
        ctx.messages.flash(f"Imported {Path(path).name}: {summary}.")
        ctx.after_save()

    ctx.runner.submit(task, done)


def export_roster(window: QWidget, ctx: AppContext, path: str | None = None) -> None:
    """File ▸ Export roster…: the team's configuration as a roster file."""
    path = path if path is not None else _ask_roster_file(window, save=True)
    if not path:
        return
    db = ctx.db

    def task() -> str:
        from whoseonfirst_core.roster import dumps_roster, export_roster_data, write_roster_file

        with db.reader() as uow:
            text = dumps_roster(export_roster_data(uow))
        write_roster_file(path, text)
        return path

    ctx.runner.submit(task, lambda p: ctx.messages.flash(f"Exported to {p}."))
