"""Settings: team and time zone, the shift-start text, the weekly summary, escalation contacts,
and the schedule horizon. The form saves in one go (with the settings' version); contacts save
one by one."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt, QTime, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableView,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from whoseonfirst_core.domain.templates import (
    render,
    segment_info,
    shift_start_values,
    template_problems,
)
from whoseonfirst_core.domain.timeutil import WEEKDAYS, all_zone_names, zone
from whoseonfirst_core.usecases.config import (
    MAX_HORIZON_WEEKS,
    MIN_HORIZON_WEEKS,
    SettingsChange,
    delete_contact,
    save_contact,
    settings_problems,
    update_settings,
)
from whoseonfirst_core.usecases.dto import ContactDTO, SettingsDTO
from whoseonfirst_core.usecases.settings_view import SettingsView, load_settings_view
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.conflict import ConflictBanner, save_with_conflict_check
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.pages.base import NO_TEAM_TEXT, Page, page_title
from whoseonfirst_gui.pages.contact_dialog import ContactDialog
from whoseonfirst_gui.qtmodels.contacts_model import ContactsModel

#: Used for the template preview when no real shift is coming up.
SAMPLE_SPAN_HOURS = 24


class SettingsPage(Page):
    title = "Settings"
    form_changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.data: SettingsView | None = None
        self.theirs: SettingsView | None = None
        self.contact_dialog: ContactDialog | None = None
        self._loading = False

        outer = QVBoxLayout(self)
        outer.addWidget(page_title("Settings"))
        self.banner = ConflictBanner("the settings")
        outer.addWidget(self.banner)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QWidget()
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        columns = QHBoxLayout(body)
        left = QVBoxLayout()
        right = QVBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)

        # Team
        team_box = QGroupBox("Team")
        team_form = QFormLayout(team_box)
        self.team_name = QLineEdit()
        self.team_name.setAccessibleName("Team name")
        self.timezone = QComboBox()
        self.timezone.setEditable(True)
        self.timezone.addItems(all_zone_names())
        self.timezone.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        completer = QCompleter(all_zone_names(), self.timezone)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.timezone.setCompleter(completer)
        self.timezone.setAccessibleName("Time zone (type to search)")
        self.timezone.setToolTip("Type part of a zone name, e.g. Chicago, to search")
        team_form.addRow("Team &name:", self.team_name)
        team_form.addRow("&Time zone:", self.timezone)
        left.addWidget(team_box)

        # Texts
        text_box = QGroupBox("Shift-start text")
        text_layout = QVBoxLayout(text_box)
        self.template = QPlainTextEdit()
        self.template.setAccessibleName("Shift-start text template")
        self.template.setFixedHeight(80)
        self.template.setTabChangesFocus(True)
        placeholders = QLabel("Placeholders: {name} {start} {end} {duration} {shift} {team}")
        placeholders.setWordWrap(True)
        text_layout.addWidget(placeholders)
        text_layout.addWidget(self.template)
        self.template_problems = QLabel()
        self.template_problems.setWordWrap(True)
        self.template_problems.setStyleSheet(f"color: {fmt.ERROR_COLOR};")
        self.template_problems.setAccessibleName("Template problems")
        text_layout.addWidget(self.template_problems)
        text_layout.addWidget(QLabel("Preview of the next real text:"))
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview.setFrameShape(QLabel.Shape.StyledPanel)
        self.preview.setMargin(6)
        self.preview.setAccessibleName("Text preview")
        text_layout.addWidget(self.preview)
        self.segments = QLabel()
        self.segments.setAccessibleName("Segment count and encoding")
        text_layout.addWidget(self.segments)
        reminder_row = QHBoxLayout()
        self.reminder_on = QCheckBox("Also send a &reminder")
        self.reminder_on.setAccessibleName("Send a reminder before each shift")
        self.reminder_minutes = QSpinBox()
        self.reminder_minutes.setRange(5, 24 * 60)
        self.reminder_minutes.setSuffix(" min before the shift")
        self.reminder_minutes.setAccessibleName("Reminder lead time in minutes")
        reminder_row.addWidget(self.reminder_on)
        reminder_row.addWidget(self.reminder_minutes)
        reminder_row.addStretch(1)
        text_layout.addLayout(reminder_row)
        left.addWidget(text_box)

        # Horizon
        horizon_box = QGroupBox("Schedule horizon")
        horizon_form = QFormLayout(horizon_box)
        self.horizon = QSpinBox()
        self.horizon.setRange(MIN_HORIZON_WEEKS, MAX_HORIZON_WEEKS)
        self.horizon.setSuffix(" weeks ahead")
        self.horizon.setAccessibleName("Schedule horizon in weeks")
        self.horizon_note = QLabel()
        self.horizon_note.setWordWrap(True)
        horizon_form.addRow("&Generate:", self.horizon)
        horizon_form.addRow("", self.horizon_note)
        left.addWidget(horizon_box)
        left.addStretch(1)

        # Weekly summary
        summary_box = QGroupBox("Weekly summary")
        summary_form = QFormLayout(summary_box)
        self.summary_on = QCheckBox("Send the weekly schedule to opted-in contacts")
        self.summary_on.setAccessibleName("Send the weekly summary")
        self.summary_day = QComboBox()
        self.summary_day.addItems([d.capitalize() for d in WEEKDAYS])
        self.summary_day.setAccessibleName("Weekly summary day")
        self.summary_time = QTimeEdit()
        self.summary_time.setDisplayFormat("HH:mm")
        self.summary_time.setAccessibleName("Weekly summary time")
        self.summary_preview = QPlainTextEdit()
        self.summary_preview.setReadOnly(True)
        self.summary_preview.setAccessibleName("Weekly summary preview")
        self.summary_preview.setFixedHeight(150)
        summary_form.addRow(self.summary_on)
        summary_form.addRow("&Day:", self.summary_day)
        summary_form.addRow("T&ime:", self.summary_time)
        summary_form.addRow("Next summary:", self.summary_preview)
        right.addWidget(summary_box)

        # Contacts
        contacts_box = QGroupBox("Escalation contacts")
        contacts_layout = QVBoxLayout(contacts_box)
        self.contacts_model = ContactsModel(self)
        self.contacts_model.opt_in_toggled.connect(self._toggle_opt_in)
        self.contacts_view = QTableView()
        self.contacts_view.setModel(self.contacts_model)
        self.contacts_view.setAccessibleName("Escalation contacts")
        self.contacts_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.contacts_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.contacts_view.verticalHeader().setVisible(False)
        self.contacts_view.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.contacts_view.horizontalHeader().setStretchLastSection(True)
        self.contacts_view.setMinimumHeight(120)
        self.contacts_view.doubleClicked.connect(lambda _i: self.edit_contact())
        contacts_layout.addWidget(self.contacts_view)
        row = QHBoxLayout()
        self.add_contact_button = QPushButton("Add &contact…")
        self.edit_contact_button = QPushButton("&Edit…")
        self.remove_contact_button = QPushButton("Re&move")
        for b in (self.add_contact_button, self.edit_contact_button, self.remove_contact_button):
            b.setAccessibleName(b.text().replace("&", "").rstrip("…") + " (contact)")
            row.addWidget(b)
        row.addStretch(1)
        contacts_layout.addLayout(row)
        self.add_contact_button.clicked.connect(lambda: self._open_contact(None))
        self.edit_contact_button.clicked.connect(self.edit_contact)
        self.remove_contact_button.clicked.connect(self.remove_contact)
        right.addWidget(contacts_box)
        right.addStretch(1)

        # Save row
        bottom = QHBoxLayout()
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(f"color: {fmt.ERROR_COLOR};")
        self.problems.setAccessibleName("Settings problems")
        bottom.addWidget(self.problems, 1)
        self.revert_button = QPushButton("Re&vert")
        self.revert_button.setAccessibleName("Revert settings")
        self.save_button = QPushButton("&Save settings")
        self.save_button.setAccessibleName("Save settings")
        self.save_button.setDefault(True)
        bottom.addWidget(self.revert_button)
        bottom.addWidget(self.save_button)
        outer.addLayout(bottom)
        self.revert_button.clicked.connect(self.revert)
        self.save_button.clicked.connect(self.save)

        self._recheck = QTimer(self)
        self._recheck.setSingleShot(True)
        self._recheck.setInterval(0)
        self._recheck.timeout.connect(self._form_edited)
        for signal in (
            self.team_name.textChanged,
            self.timezone.currentTextChanged,
            self.template.textChanged,
            self.reminder_on.toggled,
            self.reminder_minutes.valueChanged,
            self.horizon.valueChanged,
            self.summary_on.toggled,
            self.summary_day.currentIndexChanged,
            self.summary_time.timeChanged,
        ):
            signal.connect(lambda *_: self._recheck.start())
        self._set_enabled(False)

    # --- loading -------------------------------------------------------------------------

    def refresh(self) -> None:
        now = self.now()
        self.read(lambda uow: load_settings_view(uow, now), self._loaded, on_no_team=self._no_team)

    def _no_team(self) -> None:
        self.data = None
        self.problems.setText(NO_TEAM_TEXT)
        self._set_enabled(False)

    def _loaded(self, data: SettingsView) -> None:
        self.contacts_model.set_contacts(data.contacts)
        if self.is_dirty() and self.data is not None:
            if data.settings.version != self.data.settings.version:
                self.theirs = data
                self.banner.changed_while_editing()
            return
        self.data = data
        self.theirs = None
        self.banner.setVisible(False)
        self._fill(data)
        self._set_enabled(True)

    def _fill(self, data: SettingsView) -> None:
        s = data.settings
        self._loading = True
        self.team_name.setText(s.team_name)
        self.timezone.setCurrentText(s.timezone)
        if self.template.toPlainText() != s.shift_start_template:
            self.template.setPlainText(s.shift_start_template)
        self.reminder_on.setChecked(s.reminder_minutes is not None)
        self.reminder_minutes.setValue(s.reminder_minutes or 60)
        self.horizon.setValue(s.horizon_weeks)
        self.summary_on.setChecked(s.weekly_summary_enabled)
        self.summary_day.setCurrentIndex(s.weekly_summary_day)
        self.summary_time.setTime(QTime(s.weekly_summary_time.hour, s.weekly_summary_time.minute))
        self.summary_preview.setPlainText(data.summary_preview)
        tz = zone(s.timezone)
        self.horizon_note.setText(
            f"Generated until {fmt.when(data.horizon_end, tz)}; the service extends it when "
            "fewer than 4 weeks remain."
            if data.horizon_end
            else "Nothing generated yet."
        )
        self._loading = False
        self._form_edited()

    def revert(self) -> None:
        latest = self.theirs or self.data
        self.theirs = None
        self.banner.setVisible(False)
        if latest is not None:
            self.data = latest
            self._fill(latest)
        self.refresh()

    def _set_enabled(self, enabled: bool) -> None:
        writable = enabled and not self.ctx.read_only
        for w in (
            self.team_name,
            self.timezone,
            self.template,
            self.reminder_on,
            self.reminder_minutes,
            self.horizon,
            self.summary_on,
            self.summary_day,
            self.summary_time,
            self.add_contact_button,
            self.edit_contact_button,
            self.remove_contact_button,
        ):
            w.setEnabled(writable)
        self.contacts_model.read_only = not writable
        self._form_edited()

    def apply_read_only(self, read_only: bool) -> None:
        self._set_enabled(self.data is not None)

    # --- the form ------------------------------------------------------------------------

    def change(self) -> SettingsChange:
        """The form as a change against the loaded settings (only fields that differ)."""
        assert self.data is not None
        s = self.data.settings
        name = self.team_name.text()
        tz = self.timezone.currentText().strip()
        template = self.template.toPlainText()
        summary_time = self.summary_time.time().toString("HH:mm")
        reminder = self.reminder_minutes.value() if self.reminder_on.isChecked() else None
        return SettingsChange(
            team_name=name if name != s.team_name else None,
            timezone=tz if tz != s.timezone else None,
            shift_start_template=template if template != s.shift_start_template else None,
            weekly_summary_enabled=self.summary_on.isChecked()
            if self.summary_on.isChecked() != s.weekly_summary_enabled
            else None,
            weekly_summary_day=self.summary_day.currentIndex()
            if self.summary_day.currentIndex() != s.weekly_summary_day
            else None,
            weekly_summary_time=summary_time
            if summary_time != f"{s.weekly_summary_time:%H:%M}"
            else None,
            horizon_weeks=self.horizon.value() if self.horizon.value() != s.horizon_weeks else None,
            reminder_minutes=reminder
            if reminder is not None and reminder != s.reminder_minutes
            else None,
            clear_reminder=reminder is None and s.reminder_minutes is not None,
        )

    def is_dirty(self) -> bool:
        if self.data is None:
            return False
        return self.change() != SettingsChange()

    def dirty_count(self) -> int:
        if self.data is None:
            return 0
        c = self.change()
        return sum(
            1
            for v in (
                c.team_name,
                c.timezone,
                c.shift_start_template,
                c.weekly_summary_enabled,
                c.weekly_summary_day,
                c.weekly_summary_time,
                c.horizon_weeks,
                c.reminder_minutes,
            )
            if v is not None
        ) + (1 if c.clear_reminder else 0)

    def _form_edited(self) -> None:
        if self._loading:
            return
        self._update_template_preview()
        if self.data is None:
            self.save_button.setEnabled(False)
            self.revert_button.setEnabled(False)
            return
        problems = settings_problems(self.change())
        self.problems.setText("; ".join(problems))
        dirty = self.is_dirty()
        self.save_button.setEnabled(dirty and not problems and not self.ctx.read_only)
        self.revert_button.setEnabled(dirty)
        self.ctx.report_dirty("settings", self.dirty_count())
        self.form_changed.emit()

    def _update_template_preview(self) -> None:
        template = self.template.toPlainText()
        problems = template_problems(template)
        self.template_problems.setText("; ".join(p[:1].upper() + p[1:] for p in problems))
        if problems or self.data is None:
            self.preview.setText("—")
            self.segments.setText("")
            return
        s = self.data.settings
        tz_name = self.timezone.currentText().strip()
        try:
            tz = zone(tz_name)
        except ValueError:
            tz = zone(s.timezone)
        span = self.data.next_span
        now = self.now()
        if span is not None:
            start, end, name, shift = span.start, span.end, span.member_name, span.shift_name
        else:
            start = now
            end = now + timedelta(hours=SAMPLE_SPAN_HOURS)
            name, shift = "Ann", "Monday"
        text = render(
            template,
            shift_start_values(
                name=name,
                start=start,
                end=end,
                shift=shift,
                team=self.team_name.text().strip() or s.team_name,
                tz=tz,
            ),
        )
        self.preview.setText(text)
        info = segment_info(text)
        warn = (
            " — Unicode characters make every segment shorter" if info.encoding == "UCS-2" else ""
        )
        self.segments.setText(f"{info.describe()}; {info.per_segment} characters per segment{warn}")

    # --- saving --------------------------------------------------------------------------

    def save(self) -> None:
        if self.data is None or not self.save_button.isEnabled():
            return
        change = self.change()
        version = self.data.settings.version
        db, actor, clock = self.ctx.db, self.ctx.actor, self.ctx.clock

        def do_save(force: bool) -> SettingsDTO:
            with db.uow(actor) as uow:
                result = update_settings(
                    uow, clock.now(), change, expected_version=None if force else version
                )
                uow.commit()
                return result

        def saved(_result: SettingsDTO) -> None:
            self.data = None  # take the next load as the new baseline
            self.theirs = None
            self.banner.setVisible(False)
            self.ctx.report_dirty("settings", 0)
            self.ctx.messages.flash("Settings saved.")

        save_with_conflict_check(
            self.ctx,
            do_save,
            saved,
            subject="the settings",
            take_theirs=self.revert,
            review=self.banner.review,
            busy=self.save_button,
        )

    # --- contacts ------------------------------------------------------------------------

    def selected_contact(self) -> ContactDTO | None:
        index = self.contacts_view.currentIndex()
        return self.contacts_model.contact_at(index.row()) if index.isValid() else None

    def edit_contact(self) -> None:
        c = self.selected_contact()
        if c is not None:
            self._open_contact(c)

    def _open_contact(self, contact: ContactDTO | None) -> None:
        if self.ctx.read_only:
            return
        dialog = ContactDialog(contact, self)
        self.contact_dialog = dialog

        def accepted() -> None:
            name, phone = dialog.name_edit.text(), dialog.phone_edit.text()
            weekly, alerts = dialog.weekly.isChecked(), dialog.alerts.isChecked()
            self._save_contact(contact, name, phone, weekly, alerts)

        dialog.accepted.connect(accepted)
        dialog.finished.connect(lambda _r: setattr(self, "contact_dialog", None))
        dialog.open()

    def _toggle_opt_in(self, c: ContactDTO, field: str, value: bool) -> None:
        weekly = value if field == "weekly_summary" else c.weekly_summary
        alerts = value if field == "failure_alerts" else c.failure_alerts
        self._save_contact(c, c.name, c.phone, weekly, alerts)

    def _save_contact(
        self, c: ContactDTO | None, name: str, phone: str, weekly: bool, alerts: bool
    ) -> None:
        db, actor, clock = self.ctx.db, self.ctx.actor, self.ctx.clock

        def do_save(force: bool) -> ContactDTO:
            with db.uow(actor) as uow:
                result = save_contact(
                    uow,
                    clock.now(),
                    contact_id=c.id if c else None,
                    name=name,
                    phone=phone,
                    weekly_summary=weekly,
                    failure_alerts=alerts,
                    expected_version=None if force or c is None else c.version,
                )
                uow.commit()
                return result

        def failed(exc: BaseException) -> None:
            self.ctx.messages.exception(exc)
            self.refresh()

        save_with_conflict_check(
            self.ctx,
            do_save,
            lambda dto: self.ctx.messages.flash(f"Saved contact {dto.name}."),
            subject=f"contact {c.name}" if c else "the contacts",
            on_error=failed,
        )

    def remove_contact(self) -> None:
        c = self.selected_contact()
        if c is None or self.ctx.read_only:
            return
        if not self.ctx.messages.confirm(
            "Remove contact", f"Remove {c.name} from the escalation contacts?"
        ):
            return
        self.write(
            lambda uow: delete_contact(uow, self.now(), c.id),
            lambda _r: self.ctx.messages.flash(f"Removed {c.name}."),
        )
