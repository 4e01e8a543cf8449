"""Test send: queue a test text to a member or any number and watch its status live.

The app never talks to Twilio: it queues a row; the service sends it and records the outcome.
The page re-reads the row whenever the database changes (and every two seconds while the text
is still on its way), so queued → sent → delivered / failed shows up within seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.notification import Kind
from whoseonfirst_core.domain.phones import PhoneError, normalize_phone
from whoseonfirst_core.domain.templates import segment_info
from whoseonfirst_core.domain.timeutil import zone
from whoseonfirst_core.usecases.config import get_settings
from whoseonfirst_core.usecases.dto import HeartbeatDTO, NotificationDTO
from whoseonfirst_core.usecases.heartbeat import service_status
from whoseonfirst_core.usecases.notifications import get_notification, queue_text
from whoseonfirst_core.usecases.team import list_members
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.pages.base import NO_TEAM_TEXT, Page, page_title

TRACK_INTERVAL_MS = 2000
NOTHING_SENT = "Nothing sent yet."


@dataclass(frozen=True)
class TestSendData:
    tz_name: str
    team_name: str
    members: tuple[tuple[int, str, str], ...]  # id, name, phone
    heartbeat: HeartbeatDTO | None
    alive: bool
    now: datetime
    tracked: NotificationDTO | None


def load_test_send(uow: UnitOfWork, now: datetime, tracked_id: int | None) -> TestSendData:
    s = get_settings(uow)
    members = tuple((m.id, m.name, m.phone) for m in list_members(uow, include_archived=False))
    service = service_status(uow, now)
    tracked = get_notification(uow, tracked_id) if tracked_id is not None else None
    return TestSendData(
        s.timezone, s.team_name, members, service.heartbeat, service.alive, now, tracked
    )


def service_warning(heartbeat: HeartbeatDTO | None, alive: bool, tz_name: str) -> str:
    """The plain sentence shown when the service will not pick the text up soon."""
    if heartbeat is None:
        return (
            "The service has never checked in on this database; the text will wait in the "
            "queue until it runs."
        )
    if not alive:
        return (
            f"The service has not checked in since "
            f"{fmt.when(heartbeat.last_tick_at, zone(tz_name))}; the text will wait in the "
            "queue until it runs."
        )
    if heartbeat.sms_problem:
        return (
            f"The service is running, but texts are not going out: {heartbeat.sms_problem}. "
            "This text will most likely fail too."
        )
    return ""


class TestSendPage(Page):
    __test__ = False  # not a pytest test class, despite the name
    title = "Test send"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.data: TestSendData | None = None
        self.tracked_id: int | None = None
        self.tracked: NotificationDTO | None = None

        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Send a test text"))
        intro = QLabel(
            "Queue a test text through the database; the service sends it like any "
            "other text, so this checks the whole path: service, Twilio, the phone."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.service_label = QLabel()
        self.service_label.setWordWrap(True)
        self.service_label.setAccessibleName("Service warning")
        self.service_label.setStyleSheet(
            f"color: {fmt.readable(fmt.WARNING_COLOR)}; font-weight: bold;"
        )
        self.service_label.setVisible(False)
        layout.addWidget(self.service_label)

        box = QGroupBox("Recipient and text")
        form = QFormLayout(box)
        self.to_member = QRadioButton("A &member")
        self.to_number = QRadioButton("Any n&umber")
        self.to_member.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.to_member)
        group.addButton(self.to_number)
        self.member_combo = QComboBox()
        self.member_combo.setAccessibleName("Member to text")
        self.number_edit = QLineEdit()
        self.number_edit.setAccessibleName("Number to text")
        self.number_edit.setPlaceholderText("(312) 555-0101")
        self.number_error = QLabel()
        self.number_error.setStyleSheet(f"color: {fmt.readable(fmt.ERROR_COLOR)};")
        member_row = QHBoxLayout()
        member_row.addWidget(self.to_member)
        member_row.addWidget(self.member_combo, 1)
        number_row = QHBoxLayout()
        number_row.addWidget(self.to_number)
        number_row.addWidget(self.number_edit, 1)
        form.addRow("To:", member_row)
        form.addRow("", number_row)
        form.addRow("", self.number_error)
        self.body = QPlainTextEdit()
        self.body.setAccessibleName("Message (optional)")
        self.body.setPlaceholderText("Leave empty for the standard test text")
        self.body.setFixedHeight(80)
        self.body.setTabChangesFocus(True)
        form.addRow("Mess&age:", self.body)
        self.segments = QLabel()
        form.addRow("", self.segments)
        layout.addWidget(box)

        row = QHBoxLayout()
        self.send_button = QPushButton("&Send test text")
        self.send_button.setAccessibleName("Send test text")
        self.send_button.setDefault(True)
        row.addWidget(self.send_button)
        row.addStretch(1)
        layout.addLayout(row)

        status_box = QGroupBox("Status")
        status_layout = QVBoxLayout(status_box)
        self.status_label = QLabel(NOTHING_SENT)
        self.status_label.setTextFormat(Qt.TextFormat.RichText)
        self.status_label.setWordWrap(True)
        self.status_label.setAccessibleName("Test text status")
        status_layout.addWidget(self.status_label)
        layout.addWidget(status_box)
        layout.addStretch(1)

        self.send_button.clicked.connect(self.send)
        self.to_member.toggled.connect(self._validate)
        self.number_edit.textChanged.connect(self._validate)
        self.body.textChanged.connect(self._validate)
        self.member_combo.currentIndexChanged.connect(self._validate)
        self.track_timer = QTimer(self)
        self.track_timer.setInterval(TRACK_INTERVAL_MS)
        self.track_timer.timeout.connect(self.refresh)
        self._validate()

    # --- loading -------------------------------------------------------------------------

    def refresh(self) -> None:
        now, tracked = self.now(), self.tracked_id
        self.read(
            lambda uow: load_test_send(uow, now, tracked), self._show, on_no_team=self._no_team
        )

    def _no_team(self) -> None:
        self.data = None
        self.status_label.setText(NO_TEAM_TEXT)
        self._validate()

    def _show(self, data: TestSendData) -> None:
        self.data = data
        current = self.member_combo.currentData()
        items = tuple(
            (self.member_combo.itemData(i), self.member_combo.itemText(i))
            for i in range(self.member_combo.count())
        )
        wanted = tuple((mid, f"{name}  {fmt.phone(phone)}") for mid, name, phone in data.members)
        if items != wanted:
            self.member_combo.blockSignals(True)
            self.member_combo.clear()
            for mid, text in wanted:
                self.member_combo.addItem(text, mid)
            self.member_combo.setCurrentIndex(max(0, self.member_combo.findData(current)))
            self.member_combo.blockSignals(False)
        warning = service_warning(data.heartbeat, data.alive, data.tz_name)
        self.service_label.setText(warning)
        self.service_label.setVisible(bool(warning))
        if data.tracked is not None and data.tracked.id == self.tracked_id:
            self._show_tracked(data.tracked)
        elif self.tracked_id is None:
            self.status_label.setText(NOTHING_SENT)  # not "No team yet" once there is one
        self._validate()

    def _show_tracked(self, n: NotificationDTO) -> None:
        self.tracked = n
        assert self.data is not None
        tz = zone(self.data.tz_name)
        color = fmt.STATUS_COLORS.get(n.status, "#6B7280")

        def at(instant: datetime) -> str:  # seconds matter while watching a text go out
            return fmt.when_exact(instant, tz)

        steps = [f"queued {at(n.created_at)}"]
        if n.sent_at:
            steps.append(f"sent {at(n.sent_at)}")
        if n.delivered_at:
            steps.append(f"delivered {at(n.delivered_at)}")
        if n.failed_at:
            steps.append(f"{n.status} {at(n.failed_at)}")
        error = ""
        if n.error_code or n.error_message:
            error = (
                f'<br><span style="color:{fmt.readable(fmt.ERROR_COLOR)}">'
                f"{fmt.escape(fmt.error_text(n.error_code, n.error_message))}</span>"
            )
        self.status_label.setText(
            f"Text #{n.id} to {fmt.escape(n.recipient_name)} "
            f"({fmt.escape(fmt.phone(n.recipient_phone))}): "
            f'<b style="color:{fmt.readable(color)}">{n.status}</b><br>{" → ".join(steps)}{error}'
        )
        if n.status in fmt.FINAL_STATUSES:
            self.track_timer.stop()
        elif not self.track_timer.isActive():
            self.track_timer.start()

    # --- sending -------------------------------------------------------------------------

    def _validate(self) -> None:
        problem = ""
        if self.to_number.isChecked():
            text = self.number_edit.text()
            if text.strip():
                try:
                    normalize_phone(text)
                except PhoneError as exc:
                    problem = str(exc)[:1].upper() + str(exc)[1:]
            ready = bool(text.strip()) and not problem
        else:
            ready = self.member_combo.currentData() is not None
        self.number_error.setText(problem)
        self.number_error.setVisible(bool(problem))
        self.member_combo.setEnabled(self.to_member.isChecked())
        self.number_edit.setEnabled(self.to_number.isChecked())
        body = self.body.toPlainText().strip()
        self.segments.setText(segment_info(body).describe() if body else "")
        self.send_button.setEnabled(ready and self.data is not None and not self.ctx.read_only)

    def apply_read_only(self, read_only: bool) -> None:
        self._validate()

    def select_member(self, member_id: int) -> None:
        self.to_member.setChecked(True)
        self.member_combo.setCurrentIndex(self.member_combo.findData(member_id))

    def send(self) -> None:
        if not self.send_button.isEnabled():
            return
        to: str | int = (
            self.member_combo.currentData()
            if self.to_member.isChecked()
            else self.number_edit.text()
        )
        body = self.body.toPlainText().strip() or None

        def queued(n: NotificationDTO) -> None:
            self.tracked_id = n.id
            if self.data is not None:
                self._show_tracked(n)
            self.ctx.messages.flash(f"Test text to {n.recipient_name} queued.")

        self.write(
            lambda uow: queue_text(uow, self.now(), to=to, body=body, kind=Kind.TEST),
            queued,
            busy=self.send_button,
        )
