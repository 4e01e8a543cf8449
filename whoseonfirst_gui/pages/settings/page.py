"""Settings: team and time zone, the shift-start text, change notices, the weekly summary, the
wording of the other texts, escalation contacts, and the schedule horizon. The form saves in
one go (with the settings' version); contacts save one by one."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, QTime, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from whoseonfirst_core.domain.notification import Kind
from whoseonfirst_core.domain.templates import PLACEHOLDERS
from whoseonfirst_core.domain.timeutil import WEEKDAYS, all_zone_names, zone
from whoseonfirst_core.usecases.config import (
    MAX_HORIZON_WEEKS,
    MIN_HORIZON_WEEKS,
    SettingsChange,
    settings_problems,
    update_settings,
)
from whoseonfirst_core.usecases.dto import ContactDTO, SettingsDTO
from whoseonfirst_core.usecases.errors import ConflictError
from whoseonfirst_core.usecases.settings_view import (
    SettingsView,
    load_settings_view,
    preview_problems,
    preview_text,
)
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.conflict import ConflictBanner, save_with_conflict_check
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.pages.base import NO_TEAM_TEXT, Page, page_title
from whoseonfirst_gui.pages.contact_dialog import ContactDialog
from whoseonfirst_gui.pages.settings.columns import FlowingColumns
from whoseonfirst_gui.pages.settings.confirm import ConfirmBox
from whoseonfirst_gui.pages.settings.contacts import ContactsBox
from whoseonfirst_gui.pages.settings.notices import NoticesBox
from whoseonfirst_gui.pages.settings.template_editor import TemplateEditor
from whoseonfirst_gui.pages.settings.wording import WordingBox


class SettingsPage(Page):
    title = "Settings"
    form_changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.data: SettingsView | None = None
        self.theirs: SettingsView | None = None
        #: Review was chosen in the conflict dialog: the next Save writes the edited fields
        #: over the version reviewed (``theirs``) without asking again; a newer one still asks.
        self._reviewing = False
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
        self.columns = FlowingColumns(scroll, body, columns, left, right)

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
        team_form.addRow("Time &zone:", self.timezone)
        left.addWidget(team_box)

        # The shift-start text
        text_box = QGroupBox("Shift-start text")
        text_layout = QVBoxLayout(text_box)
        self.shift_text = TemplateEditor("Shift-start text")
        self.shift_text.placeholders.setText(
            "Placeholders: " + " ".join("{" + p + "}" for p in PLACEHOLDERS)
        )
        self.template = self.shift_text.edit
        self.template_problems = self.shift_text.problems
        self.preview = self.shift_text.preview
        self.segments = self.shift_text.segments
        text_layout.addWidget(self.shift_text)
        reminder_row = QHBoxLayout()
        self.reminder_on = QCheckBox("A&lso send a reminder")
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

        self.confirm = ConfirmBox()
        left.addWidget(self.confirm)

        self.notices = NoticesBox()
        left.addWidget(self.notices)

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
        summary_form.addRow("Ti&me:", self.summary_time)
        summary_form.addRow("Next summary:", self.summary_preview)
        right.addWidget(summary_box)

        self.wording = WordingBox()
        right.addWidget(self.wording)

        self.contacts = ContactsBox(self)
        self.contacts_model = self.contacts.model
        self.contacts_view = self.contacts.view
        self.add_contact_button = self.contacts.add_button
        self.edit_contact_button = self.contacts.edit_button
        self.remove_contact_button = self.contacts.remove_button
        right.addWidget(self.contacts)
        right.addStretch(1)

        # Save row
        bottom = QHBoxLayout()
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(f"color: {fmt.readable(fmt.ERROR_COLOR)};")
        self.problems.setAccessibleName("Settings problems")
        bottom.addWidget(self.problems, 1)
        self.revert_button = QPushButton("&Revert")
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
            self.notices.edited,
            self.confirm.edited,
            self.wording.edited,
        ):
            signal.connect(lambda *_: self._recheck.start())
        self._set_enabled(False)

    @property
    def contact_dialog(self) -> ContactDialog | None:
        """The escalation-contact dialog while it is open."""
        return self.contacts.dialog

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
                if not self._reviewing:
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
        self.shift_text.set_template(s.shift_start_template)
        self.reminder_on.setChecked(s.reminder_minutes is not None)
        self.reminder_minutes.setValue(s.reminder_minutes or 60)
        self.notices.fill(s)
        self.confirm.fill(s)
        self.horizon.setValue(s.horizon_weeks)
        self.summary_on.setChecked(s.weekly_summary_enabled)
        self.summary_day.setCurrentIndex(s.weekly_summary_day)
        self.summary_time.setTime(QTime(s.weekly_summary_time.hour, s.weekly_summary_time.minute))
        self.summary_preview.setPlainText(data.summary_preview)
        self.wording.fill(s.text_templates)
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
        self._reviewing = False
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
        ):
            w.setEnabled(writable)
        self.notices.set_writable(writable)
        self.confirm.set_writable(writable)
        self.wording.set_writable(writable)
        self.contacts.set_writable(writable)
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
        window, delay = self.notices.window_days.value(), self.notices.delay_minutes.value()
        quiet = self.notices.quiet_hours()
        wording = self.wording.templates()
        confirm, within = self.confirm.requested.isChecked(), self.confirm.within.value()
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
            notice_window_days=window if window != s.notice_window_days else None,
            notice_delay_minutes=delay if delay != s.notice_delay_minutes else None,
            quiet_hours=quiet if quiet != (s.quiet_hours or "off") else None,
            text_templates=wording if wording != dict(s.text_templates) else None,
            confirm_requested=confirm if confirm != s.confirm_requested else None,
            confirm_within_minutes=within if within != s.confirm_within_minutes else None,
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
                c.notice_window_days,
                c.notice_delay_minutes,
                c.quiet_hours,
                c.text_templates,
                c.confirm_requested,
                c.confirm_within_minutes,
            )
            if v is not None
        ) + (1 if c.clear_reminder else 0)

    def _form_edited(self) -> None:
        if self._loading:
            return
        self._update_previews()
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

    def _update_previews(self) -> None:
        """The shift-start text's and the selected wording's previews, in the form's (maybe
        unsaved) team name and time zone."""
        for kind, editor in (
            (Kind.SHIFT_START, self.shift_text),
            (self.wording.current_kind(), self.wording.editor),
        ):
            template = editor.template()
            problems = preview_problems(kind, template)
            text = None
            if not problems and self.data is not None:
                text = preview_text(
                    self.data,
                    kind,
                    template,
                    self.now(),
                    team_name=self.team_name.text().strip() or self.data.settings.team_name,
                    tz=self._form_zone(),
                    confirm=self.confirm.requested.isChecked(),
                )
            editor.show_result(problems, text)

    def _form_zone(self) -> ZoneInfo:
        """The zone in the form, or the saved one while the form's is not a zone."""
        assert self.data is not None
        try:
            return zone(self.timezone.currentText().strip())
        except ValueError:
            return zone(self.data.settings.timezone)

    # --- saving --------------------------------------------------------------------------

    def save(self) -> None:
        if self.data is None or not self.save_button.isEnabled():
            return
        change = self.change()
        reviewed = self.theirs if self._reviewing else None
        version = (reviewed or self.data).settings.version
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
            self._reviewing = False
            self.banner.setVisible(False)
            self.ctx.report_dirty("settings", 0)
            self.ctx.messages.flash("Settings saved.")

        save_with_conflict_check(
            self.ctx,
            do_save,
            saved,
            subject="the settings",
            take_theirs=self.revert,
            review=self._review,
            busy=self.save_button,
        )

    def _review(self, exc: ConflictError) -> None:
        """Review in the conflict dialog: their version (reloaded next) is the one seen."""
        self._reviewing = True
        self.banner.review(exc)

    # --- contacts ------------------------------------------------------------------------

    def selected_contact(self) -> ContactDTO | None:
        return self.contacts.selected_contact()

    def edit_contact(self) -> None:
        self.contacts.edit_contact()

    def remove_contact(self) -> None:
        self.contacts.remove_contact()
