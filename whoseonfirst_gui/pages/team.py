"""Team: the members in rotation order; add, edit, reorder, (de)activate, archive, restore."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from PySide6.QtCore import QModelIndex, QPoint, QSortFilterProxyModel, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.timeutil import local_date, zone
from whoseonfirst_core.usecases.config import get_settings
from whoseonfirst_core.usecases.dto import MemberDTO
from whoseonfirst_core.usecases.inbound import opt_outs
from whoseonfirst_core.usecases.rotation import PlannedChangeDTO, cancel_change, rotation_overview
from whoseonfirst_core.usecases.schedule import schedule_view
from whoseonfirst_core.usecases.team import (
    archive_member,
    preview_member_change,
    reorder_members,
    restore_member,
    set_member_active,
)
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.conflict import save_with_conflict_check
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.feeds import copy_calendar_link
from whoseonfirst_gui.on_screen import keep_on_screen, on_screen
from whoseonfirst_gui.pages.base import NO_TEAM_TEXT, Page, page_title
from whoseonfirst_gui.pages.impact_dialog import ImpactDialog
from whoseonfirst_gui.pages.member_dialog import MemberDialog
from whoseonfirst_gui.qtmodels.team_model import TeamModel, TeamRow
from whoseonfirst_gui.tell import change_uow

RECENT_WEEKS = 12


@dataclass(frozen=True)
class TeamData:
    rows: tuple[TeamRow, ...]
    tz_name: str
    earliest: date
    planned: tuple[PlannedChangeDTO, ...] = ()


def load_team(uow: UnitOfWork, now: datetime) -> TeamData:
    settings = get_settings(uow)
    view = schedule_view(uow, now - timedelta(weeks=RECENT_WEEKS), now + timedelta(weeks=8))
    members = view.members  # every member, archived too, in rotation order (as list_members)
    next_shift: dict[int, tuple[datetime, str]] = {}
    recent: dict[int, int] = {}
    for s in sorted(view.spans, key=lambda s: s.start):
        if s.start >= now and s.member_id not in next_shift:
            next_shift[s.member_id] = (s.start, s.shift_name)
        if s.start < now and s.notify:
            recent[s.member_id] = recent.get(s.member_id, 0) + 1
    overview = rotation_overview(uow, now, local_date(now, zone(settings.timezone)), members)
    opted_out = opt_outs(uow)
    rows = tuple(
        TeamRow(
            member=m,
            next_shift=next_shift.get(m.id, (None, ""))[0],
            next_shift_name=next_shift.get(m.id, (None, ""))[1],
            recent_shifts=recent.get(m.id, 0),
            status=overview.status.get(m.id),
            opt_outs=tuple(opted_out[p] for p in m.phones if p in opted_out),
        )
        for m in members
    )
    return TeamData(rows, settings.timezone, overview.earliest, overview.planned)


class _ArchivedFilter(QSortFilterProxyModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.show_archived = False

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:  # type: ignore[override]
        model = self.sourceModel()
        if not isinstance(model, TeamModel):
            return True
        m = model.member_at(source_row)
        return m is not None and (self.show_archived or not m.archived)


class TeamPage(Page):
    title = "Team"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.data: TeamData | None = None
        self.member_dialog: MemberDialog | None = None
        self.impact_dialog: ImpactDialog | None = None
        self.model = TeamModel(self)
        self.model.reorder_requested.connect(self.request_reorder)
        self.proxy = _ArchivedFilter(self)
        self.proxy.setSourceModel(self.model)

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(page_title("Team"))
        top.addStretch(1)
        self.show_archived = QCheckBox("&Show archived")
        self.show_archived.setAccessibleName("Show archived members")
        self.show_archived.toggled.connect(self._toggle_archived)
        top.addWidget(self.show_archived)
        layout.addLayout(top)

        self.hint = QLabel(
            "Drag rows (or press Ctrl+Up / Ctrl+Down) to change the rotation "
            "order; you choose the date it takes effect and see who changes "
            "which shifts before anything is saved."
        )
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)

        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setAccessibleName("Team members in rotation order")
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setDragEnabled(True)
        self.view.setAcceptDrops(True)
        self.view.setDropIndicatorShown(True)
        self.view.setDragDropOverwriteMode(False)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setVisible(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(TeamModel.NAME, QHeaderView.ResizeMode.Stretch)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.doubleClicked.connect(lambda _i: self.edit_selected())
        layout.addWidget(self.view, 1)
        self.empty_label = QLabel(NO_TEAM_TEXT)
        self.empty_label.setVisible(False)
        layout.addWidget(self.empty_label)

        buttons = QHBoxLayout()
        self.team_actions: dict[str, QAction] = {}
        # The feed link's two actions share one button, so the row fits a 1024-pixel window.
        link_menu = QMenu(self)
        for key, text, shortcut, slot in (
            ("add", "Add &member…", QKeySequence.StandardKey.New, self.add_member),
            ("edit", "Ed&it…", QKeySequence("Return"), self.edit_selected),
            ("up", "Move &up", QKeySequence("Ctrl+Up"), lambda: self.move_selected(-1)),
            ("down", "Move do&wn", QKeySequence("Ctrl+Down"), lambda: self.move_selected(1)),
            ("toggle", "&Deactivate…", None, self.toggle_active_selected),
            ("archive", "Ar&chive…", None, self.archive_selected),
            ("restore", "&Restore", None, self.restore_selected),
            ("link", "Copy calendar &link", None, lambda: self.copy_calendar_link(reset=False)),
            ("reset_link", "Reset lin&k…", None, lambda: self.copy_calendar_link(reset=True)),
        ):
            action = QAction(text, self)
            if shortcut is not None:
                action.setShortcut(shortcut)
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)
            self.team_actions[key] = action
            if key in ("link", "reset_link"):
                link_menu.addAction(action)
                continue
            button = QPushButton(text)
            button.setAccessibleName(text.replace("&", "").rstrip("…"))
            button.clicked.connect(action.trigger)
            action.changed.connect(
                lambda a=action, b=button: (b.setEnabled(a.isEnabled()), b.setText(a.text()))
            )
            buttons.addWidget(button)
        self.link_button = QPushButton("Calendar lin&k")
        self.link_button.setAccessibleName("Calendar link")
        self.link_button.setMenu(link_menu)
        buttons.addWidget(self.link_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

        self.planned_label = QLabel("&Planned changes:")
        layout.addWidget(self.planned_label)
        self.planned_list = QListWidget()
        self.planned_list.setAccessibleName("Planned team and pattern changes")
        self.planned_list.setMaximumHeight(110)
        self.planned_label.setBuddy(self.planned_list)
        layout.addWidget(self.planned_list)
        planned_row = QHBoxLayout()
        self.cancel_planned_button = QPushButton("&Cancel planned change…")
        self.cancel_planned_button.setAccessibleName("Cancel planned change")
        self.cancel_planned_button.clicked.connect(self.cancel_selected_planned)
        planned_row.addWidget(self.cancel_planned_button)
        planned_row.addStretch(1)
        layout.addLayout(planned_row)
        self.planned_list.currentRowChanged.connect(lambda _r: self._update_actions())

        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self._update_actions()

    # --- loading -------------------------------------------------------------------------

    def refresh(self) -> None:
        if self.model.is_reordered() and self.impact_dialog is not None:
            return  # a reorder is being previewed; its Apply or Cancel reloads
        now = self.now()
        self.read(lambda uow: load_team(uow, now), self._show, on_no_team=self._no_team)

    def _no_team(self) -> None:
        self.data = None
        self.model.set_rows([], zone("UTC"))
        self.planned_list.clear()
        self.empty_label.setVisible(True)
        self._update_actions()

    def _show(self, data: TeamData) -> None:
        selected = self.selected_member()
        self.data = data
        self.empty_label.setVisible(False)
        self.model.set_rows(data.rows, zone(data.tz_name))
        if not data.rows:
            self.empty_label.setText("No members yet — press Add member… to add the first one.")
            self.empty_label.setVisible(True)
        if selected is not None:
            self.select_member(selected.id)
        self.planned_list.clear()
        for p in data.planned:
            item = QListWidgetItem(f"{p.text()} — by {p.created_by}")
            item.setData(Qt.ItemDataRole.UserRole, p.id)
            self.planned_list.addItem(item)
        self.planned_label.setVisible(bool(data.planned))
        self.planned_list.setVisible(bool(data.planned))
        self.cancel_planned_button.setVisible(bool(data.planned))
        self._update_actions()

    def apply_read_only(self, read_only: bool) -> None:
        self.model.read_only = read_only
        self.view.setDragEnabled(not read_only)
        self._update_actions()

    def _toggle_archived(self, checked: bool) -> None:
        self.proxy.show_archived = checked
        self.proxy.invalidate()

    # --- selection -----------------------------------------------------------------------

    def selected_member(self) -> MemberDTO | None:
        rows = self.view.selectionModel().selectedRows() if self.view.selectionModel() else []
        if not rows:
            return None
        return self.model.member_at(self.proxy.mapToSource(rows[0]).row())

    def select_member(self, member_id: int) -> None:
        row = self.model.row_of(member_id)
        if row < 0:
            return
        index = self.proxy.mapFromSource(self.model.index(row, TeamModel.NAME))
        if index.isValid():
            self.view.selectRow(index.row())
            self.view.setCurrentIndex(index)

    def selected_row(self) -> TeamRow | None:
        m = self.selected_member()
        if m is None:
            return None
        return self.model.row_at(self.model.row_of(m.id))

    def _update_actions(self) -> None:
        m = self.selected_member()
        row = self.selected_row()
        in_rotation = row.in_rotation if row is not None else False
        writable = not self.ctx.read_only and self.data is not None
        self.team_actions["add"].setEnabled(writable)
        self.team_actions["edit"].setEnabled(writable and m is not None and not m.archived)
        self.team_actions["up"].setEnabled(writable and m is not None and not m.archived)
        self.team_actions["down"].setEnabled(writable and m is not None and not m.archived)
        self.team_actions["toggle"].setEnabled(writable and m is not None and not m.archived)
        self.team_actions["toggle"].setText(
            "&Activate…" if m is not None and not in_rotation else "&Deactivate…"
        )
        self.cancel_planned_button.setEnabled(
            writable and self.planned_list.currentItem() is not None
        )
        self.team_actions["archive"].setEnabled(writable and m is not None and not m.archived)
        self.team_actions["restore"].setEnabled(writable and m is not None and m.archived)
        # With nobody selected the links are the team's feed's.
        for key in ("link", "reset_link"):
            self.team_actions[key].setEnabled(writable and (m is None or not m.archived))
        self.team_actions["link"].setText(
            "Copy calendar &link" if m is not None else "Copy team calendar &link"
        )

    def _context_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        for key in ("edit", "up", "down", "toggle", "archive", "restore"):
            menu.addAction(self.team_actions[key])
        menu.addSeparator()
        menu.addAction(self.team_actions["add"])
        at = self.view.viewport().mapToGlobal(pos)
        menu.popup(on_screen(at, menu.sizeHint()))

    # --- add / edit ----------------------------------------------------------------------

    def add_member(self) -> None:
        self._open_member_dialog(None)

    def edit_selected(self) -> None:
        m = self.selected_member()
        if m is not None and not m.archived:
            self._open_member_dialog(m)

    def _open_member_dialog(self, member: MemberDTO | None) -> None:
        earliest = self.data.earliest if self.data is not None else None
        dialog = MemberDialog(self.ctx, member, self, earliest=earliest)
        dialog.saved.connect(lambda dto: self.select_member(dto.id))
        dialog.finished.connect(lambda _r: setattr(self, "member_dialog", None))
        self.member_dialog = dialog
        keep_on_screen(dialog)
        dialog.open()

    # --- reorder -------------------------------------------------------------------------

    def move_selected(self, steps: int) -> None:
        m = self.selected_member()
        if m is None or m.archived or self.ctx.read_only:
            return
        order = self.model.move_member(m.id, steps)
        if order is not None:
            self.select_member(m.id)
            self.request_reorder(order)

    def request_reorder(self, order: list[int]) -> None:
        """A drop (or Move up/down) proposed ``order``: ask when, preview, then apply."""
        if self.data is None or self.ctx.read_only:
            self.model.reset_order()
            return
        ids = list(order)
        now = self.now()

        def preview(uow: UnitOfWork, day: date):  # type: ignore[no-untyped-def]
            return preview_member_change(uow, now, day, ordered_ids=ids)

        def apply(day: date, tell: bool) -> None:
            self._write(
                lambda uow, _force: reorder_members(uow, self.now(), ids, day),
                f"Rotation order changed from {fmt.day_text(day)}.",
                subject="the team",
                can_keep_mine=False,
                tell=tell,
            )

        self._impact(
            "Change the rotation order",
            "The new order applies to shifts from the date you choose; earlier shifts keep "
            "their people.",
            preview,
            apply,
            on_cancel=self.model.reset_order,
        )

    # --- activate / deactivate / archive / restore ---------------------------------------

    def toggle_active_selected(self) -> None:
        m = self.selected_member()
        row = self.selected_row()
        if m is None or row is None or m.archived or self.data is None:
            return
        new_state = not row.in_rotation
        now = self.now()
        verb = "Activate" if new_state else "Deactivate"

        def preview(uow: UnitOfWork, day: date):  # type: ignore[no-untyped-def]
            return preview_member_change(uow, now, day, active_changes={m.id: new_state})

        def apply(day: date, tell: bool) -> None:
            self._write(
                lambda uow, force: set_member_active(
                    uow,
                    self.now(),
                    m.id,
                    new_state,
                    day,
                    expected_version=None if force else m.version,
                ),
                f"{m.name} {'joins' if new_state else 'leaves'} the rotation from "
                f"{fmt.day_text(day)}.",
                subject=m.name,
                tell=tell,
            )

        text = (
            f"{m.name} joins the rotation from the date you choose."
            if new_state
            else f"{m.name} leaves the rotation from the date you choose; they can still cover "
            "shifts through the calendar."
        )
        self._impact(f"{verb} {m.name}", text, preview, apply, apply_label=verb)

    def archive_selected(self) -> None:
        m = self.selected_member()
        if m is None or m.archived or self.data is None:
            return
        now = self.now()

        def preview(uow: UnitOfWork, day: date):  # type: ignore[no-untyped-def]
            return preview_member_change(uow, now, day, active_changes={m.id: False})

        def apply(day: date, tell: bool) -> None:
            self._write(
                lambda uow, force: archive_member(
                    uow, self.now(), m.id, day, expected_version=None if force else m.version
                ),
                f"Archived {m.name}; their history is kept.",
                subject=m.name,
                tell=tell,
            )

        self._impact(
            f"Archive {m.name}",
            f"{m.name} leaves the rotation from the date you choose and is hidden from the team. "
            "Their texts and shifts stay in the history; Restore brings them back.",
            preview,
            apply,
            apply_label="Archive",
        )

    def restore_selected(self) -> None:
        m = self.selected_member()
        if m is None or not m.archived:
            return
        self._write(
            lambda uow, _force: restore_member(uow, self.now(), m.id),
            f"Restored {m.name} (inactive: activate them to rotate again).",
            subject=m.name,
        )

    def copy_calendar_link(self, *, reset: bool) -> None:
        """The selected member's feed link (nobody selected: the team's) to the clipboard,
        shown once; ``reset`` first asks, since the old link stops working."""
        m = self.selected_member()
        whose = f"{m.name}'s calendar" if m is not None else "the team's calendar"
        if reset and not self.ctx.messages.confirm(
            "Reset the calendar link?",
            f"Make a new link to {whose}? Calendars subscribed to the old one stop updating.",
        ):
            return
        copy_calendar_link(self.ctx, m, reset=reset)

    def cancel_selected_planned(self) -> None:
        item = self.planned_list.currentItem()
        if item is None or self.data is None or self.ctx.read_only:
            return
        change_id = int(item.data(Qt.ItemDataRole.UserRole))
        planned = next((p for p in self.data.planned if p.id == change_id), None)
        if planned is None:
            return
        confirmed, tell = self.ctx.messages.confirm_change(
            "Cancel the planned change?",
            f"{planned.text()}.\n\nThe rotation is worked out again without it from "
            f"{fmt.day_text(planned.effective_from)}; other planned changes stay.",
            QMessageBox.StandardButton.Yes,
        )
        if not confirmed:
            return
        self._write(
            lambda uow, _force: cancel_change(uow, self.now(), change_id),
            f"Cancelled: {planned.text()}.",
            subject="the team",
            can_keep_mine=False,
            tell=tell,
        )

    # --- plumbing ------------------------------------------------------------------------

    def _impact(
        self,
        title: str,
        text: str,
        preview: Callable[..., object],
        apply: Callable[[date, bool], None],
        *,
        apply_label: str = "Apply",
        on_cancel: Callable[[], None] | None = None,
    ) -> None:
        assert self.data is not None
        dialog = ImpactDialog(
            self.ctx,
            title=title,
            description=text,
            preview=preview,  # type: ignore[arg-type]
            earliest=self.data.earliest,
            tz_name=self.data.tz_name,
            apply_label=apply_label,
            parent=self,
        )
        dialog.apply_requested.connect(apply)

        def finished(result: int) -> None:
            self.impact_dialog = None
            if result != ImpactDialog.DialogCode.Accepted and on_cancel is not None:
                on_cancel()

        dialog.finished.connect(finished)
        self.impact_dialog = dialog
        keep_on_screen(dialog)
        dialog.open()

    def _write(
        self,
        command: Callable[[UnitOfWork, bool], object],
        done_text: str,
        *,
        subject: str,
        can_keep_mine: bool = True,
        tell: bool = True,
    ) -> None:
        """Run ``command(uow, force)`` in one transaction; conflicts open the conflict dialog.
        ``tell`` False: without telling the people affected."""
        db, actor, clock = self.ctx.db, self.ctx.actor, self.ctx.clock

        def save(force: bool) -> object:
            with change_uow(db, actor, clock.now(), tell=tell) as uow:
                result = command(uow, force)
                uow.commit()
                return result

        def failed(exc: BaseException) -> None:
            self.model.reset_order()
            self.ctx.messages.exception(exc)
            self.refresh()

        save_with_conflict_check(
            self.ctx,
            save,
            lambda _r: self.ctx.messages.flash(done_text),
            subject=subject,
            take_theirs=self.model.reset_order,
            review=lambda _e: self.model.reset_order(),
            on_error=failed,
            busy=self.view,
            can_keep_mine=can_keep_mine,
        )
