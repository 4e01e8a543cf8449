"""Dashboard: on call now and next, the week at a glance, what needs attention, the change
notices still waiting, the service."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from whoseonfirst_core.domain.notification import Status
from whoseonfirst_core.domain.templates import day_label
from whoseonfirst_core.domain.timeutil import local_date, zone
from whoseonfirst_core.usecases.dashboard import DashboardView, Severity, Where, load_dashboard
from whoseonfirst_core.usecases.dto import HeartbeatDTO, SpanDTO
from whoseonfirst_core.usecases.heartbeat import status_of
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.pages.base import NO_TEAM_TEXT, EmptyState, Page, heading, page_title
from whoseonfirst_gui.service_label import STATE_WORDS

#: The page that holds the details of an attention item.
DETAILS_PAGE: dict[Where, str] = {Where.TEXTS: "Texts", Where.CALENDAR: "Calendar"}


class Card(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.layout_ = QVBoxLayout(self)


class DashboardPage(Page):
    title = "Dashboard"

    def __init__(self, ctx, parent: QWidget | None = None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, parent)
        self.data: DashboardView | None = None
        #: The newest heartbeat: from the page's load, then from the window's poll (a tick
        #: bumps no revision, so the page does not reload for it).
        self.heartbeat: HeartbeatDTO | None = None
        self.tz = zone("UTC")
        # The service's line ages with the clock, like the status bar's.
        self.age_timer = QTimer(self)
        self.age_timer.setInterval(1000)
        self.age_timer.timeout.connect(self._show_service)
        outer = QStackedLayout(self)
        self.empty = EmptyState(NO_TEAM_TEXT)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        scroll.setWidget(body)
        outer.addWidget(scroll)
        outer.addWidget(self.empty)
        self.stack = outer

        layout = QVBoxLayout(body)
        self.title_label = page_title("Dashboard")
        layout.addWidget(self.title_label)

        top = QHBoxLayout()
        now_card = Card()
        now_card.layout_.addWidget(heading("On call now"))
        self.now_label = QLabel()
        self.now_label.setTextFormat(Qt.TextFormat.RichText)
        self.now_label.setWordWrap(True)
        self.now_label.setAccessibleName("On call now")
        now_card.layout_.addWidget(self.now_label)
        now_card.layout_.addStretch(1)
        next_card = Card()
        next_card.layout_.addWidget(heading("Next"))
        self.next_label = QLabel()
        self.next_label.setTextFormat(Qt.TextFormat.RichText)
        self.next_label.setAccessibleName("Next on call")
        next_card.layout_.addWidget(self.next_label)
        next_card.layout_.addStretch(1)
        top.addWidget(now_card, 1)
        top.addWidget(next_card, 1)
        layout.addLayout(top)

        week_card = Card()
        week_card.layout_.addWidget(heading("This week"))
        self.week_grid = QGridLayout()
        self.week_grid.setHorizontalSpacing(12)
        self.day_labels: list[QLabel] = []
        self.day_chips: list[QLabel] = []
        for i in range(7):
            d = QLabel()
            d.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            c = QLabel()
            c.setTextFormat(Qt.TextFormat.RichText)
            c.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            c.setWordWrap(True)
            self.week_grid.addWidget(d, 0, i)
            self.week_grid.addWidget(c, 1, i)
            self.day_labels.append(d)
            self.day_chips.append(c)
        week_card.layout_.addLayout(self.week_grid)
        layout.addWidget(week_card)

        att_card = Card()
        att_card.layout_.addWidget(heading("Attention"))
        self.attention_box = QVBoxLayout()
        att_card.layout_.addLayout(self.attention_box)
        layout.addWidget(att_card)

        # Hidden while nothing waits: a notice due now goes at the next tick.
        self.waiting_card = Card()
        self.waiting_card.layout_.addWidget(heading("Notices waiting"))
        self.waiting_label = QLabel()
        self.waiting_label.setWordWrap(True)
        self.waiting_label.setAccessibleName("Change notices waiting")
        self.waiting_label.setToolTip(
            "Saved changes not texted yet: edits within the bundling delay make one notice, "
            "and notices about later shifts wait for the end of quiet hours."
        )
        self.waiting_card.layout_.addWidget(self.waiting_label)
        self.waiting_card.setVisible(False)
        layout.addWidget(self.waiting_card)

        svc_card = Card()
        svc_card.layout_.addWidget(heading("Service"))
        self.service_label = QLabel()
        self.service_label.setWordWrap(True)
        self.service_label.setAccessibleName("Service status")
        svc_card.layout_.addWidget(self.service_label)
        layout.addWidget(svc_card)
        layout.addStretch(1)

    def refresh(self) -> None:
        now = self.now()
        self.read(
            lambda uow: load_dashboard(uow, now), self.show_data, on_no_team=self.show_no_team
        )

    def show_no_team(self) -> None:
        self.data = None
        self.age_timer.stop()
        self.stack.setCurrentWidget(self.empty)
        self.badge_changed.emit("")

    def show_data(self, data: DashboardView) -> None:
        self.data = data
        self.stack.setCurrentIndex(0)
        tz = zone(data.tz_name)
        self.title_label.setText(f"{data.team_name} — {fmt.when(data.now, tz)}")
        if data.member_count == 0 and data.current is None:
            self.now_label.setText(
                "Nobody yet — add members on the <b>Team</b> page (Team ▸ Add member…)."
            )
        elif data.current is None:
            color = fmt.readable(fmt.ERROR_COLOR)
            self.now_label.setText(
                f'<span style="color:{color}"><b>Nobody is on call right now.</b></span>'
            )
        else:
            s = data.current
            lines = [
                f"{fmt.chip_html(s.member_name, s.member_color, override=s.is_override)}"
                f"&nbsp;&nbsp;{fmt.escape(fmt.phone(data.current_phone))}",
                f"{fmt.escape(fmt.when_short(s.start, tz))} → "
                f"{fmt.escape(fmt.when_short(s.end, tz))} · {fmt.escape(s.shift_name)}",
            ]
            if s.is_override and s.scheduled_member_name:
                reason = f" ({fmt.escape(s.override_reason)})" if s.override_reason else ""
                lines.append(f"covering for {fmt.escape(s.scheduled_member_name)}{reason}")
            t = data.current_text
            if t is not None:
                stamp = t.delivered_at or t.sent_at or t.failed_at or t.due_at
                color = fmt.STATUS_COLORS.get(t.status, "#6B7280")
                mark = " ✓" if t.status == Status.DELIVERED else ""
                lines.append(
                    f'text <span style="color:{fmt.readable(color)}"><b>{t.status}</b></span> '
                    f"{fmt.escape(fmt.when_exact(stamp, tz))}{mark}"
                )
            else:
                lines.append("no shift-start text recorded for this shift yet")
            confirmed = data.confirmed_at(s)
            if confirmed is not None:
                lines.append(_confirmed_html(confirmed, tz, s.start) + " ✓")
            self.now_label.setText("<br>".join(lines))
        if data.upcoming:
            self.next_label.setText("<br>".join(_next_html(data, s, tz) for s in data.upcoming))
        else:
            self.next_label.setText("Nothing scheduled.")
        today = local_date(data.now, tz)
        for i, cell in enumerate(data.week):
            label = day_label(cell.day)
            self.day_labels[i].setText(f"<b>{label}</b>" if cell.day == today else label)
            if cell.chips:
                self.day_chips[i].setText(
                    "<br>".join(
                        fmt.chip_html(
                            c.member_name, c.member_color, suffix=c.suffix, override=c.is_override
                        )
                        for c in cell.chips
                    )
                )
            else:
                self.day_chips[i].setText(
                    f'<span style="color:{fmt.readable(fmt.ERROR_COLOR)}">NO COVERAGE</span>'
                )
        self._show_attention(data)
        self.waiting_label.setText("\n".join(w.text for w in data.waiting))
        self.waiting_card.setVisible(bool(data.waiting))
        self.heartbeat = data.service.heartbeat
        self.tz = tz
        self._show_service()
        self.age_timer.start()
        count = len(data.attention)
        self.badge_changed.emit(str(count) if count else "")

    def _show_attention(self, data: DashboardView) -> None:
        while self.attention_box.count():
            item = self.attention_box.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.deleteLater()
        if not data.attention:
            ok = QLabel("Nothing needs attention.")
            self.attention_box.addWidget(ok)
            return
        for a in data.attention:
            row = QWidget()
            h = QHBoxLayout(row)
            h.setContentsMargins(0, 0, 0, 0)
            color = fmt.ERROR_COLOR if a.severity is Severity.ERROR else fmt.WARNING_COLOR
            label = QLabel(
                f'<span style="color:{fmt.readable(color)}">⚠</span> {fmt.escape(a.text)}'
            )
            label.setWordWrap(True)
            label.setAccessibleName(a.text)
            h.addWidget(label, 1)
            if a.where is not None:
                target = DETAILS_PAGE[a.where]
                button = QPushButton("Details…")
                button.setAccessibleName(f"Details: {a.text}")
                button.setToolTip(f"Open the {target} page")
                button.clicked.connect(lambda _=False, t=target: self.navigate_requested.emit(t))
                h.addWidget(button)
            self.attention_box.addWidget(row)

    def show_heartbeat(self, hb: HeartbeatDTO | None) -> None:
        """The window's poll read a newer heartbeat."""
        self.heartbeat = hb
        if self.data is not None:
            self._show_service()

    def _show_service(self) -> None:
        """The service's line at the clock's now: the same state as the status bar's."""
        now = self.now()
        status = status_of(self.heartbeat, now)
        if self.data is not None and status.state is not self.data.service.state:
            self.refresh()  # the Attention card words the state too
        hb = status.heartbeat
        if hb is None:
            self.service_label.setText(
                "Never seen on this database. Start it with “whoseonfirst-service run” "
                "(see the README); until then texts wait in the queue."
            )
            return
        parts = [
            f"{STATE_WORDS[status.state]} on {hb.host}",
            f"v{hb.version}",
            f"SMS: {hb.sms_backend}",
            f"last tick {fmt.age(hb.last_tick_at, now)}",
        ]
        if hb.next_due_at is not None and status.alive:
            parts.append(f"next text {fmt.when_short(hb.next_due_at, self.tz)}")
        text = " · ".join(parts)
        if hb.last_error:
            text += f"\nLast error: {hb.last_error}"
        self.service_label.setText(text)


def _next_html(data: DashboardView, span: SpanDTO, tz: ZoneInfo) -> str:
    """One line of the Next card: who, from when, and whether they confirmed already."""
    line = (
        f"{fmt.chip_html(span.member_name, span.member_color, override=span.is_override)}"
        f"&nbsp;&nbsp;{fmt.escape(fmt.when_short(span.start, tz))}"
    )
    confirmed = data.confirmed_at(span)
    return line + (f" · {_confirmed_html(confirmed, tz, span.start)}" if confirmed else "")


def _confirmed_html(at: datetime, tz: ZoneInfo, start: datetime) -> str:
    """``confirmed 08:03 CST`` in green: the person on call answered the shift-start text."""
    note = fmt.escape(fmt.confirmed_note(at, tz, start))
    return f'<span style="color:{fmt.readable(fmt.CONFIRMED_COLOR)}">{note}</span>'
