"""Dashboard: on call now and next, the week at a glance, what needs attention, the service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
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

from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.timeutil import (
    WEEKDAY_ABBR,
    day_start,
    fmt_duration,
    local_date,
    zone,
)
from whoseonfirst_core.usecases.config import get_settings
from whoseonfirst_core.usecases.dto import HeartbeatDTO, NotificationDTO, SpanDTO
from whoseonfirst_core.usecases.notifications import (
    HistoryFilter,
    heartbeats,
    history_page,
    problem_notifications,
    service_is_alive,
)
from whoseonfirst_core.usecases.schedule import EXTEND_WHEN_WEEKS_LEFT, horizon_end, schedule_view
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.pages.base import NO_TEAM_TEXT, EmptyState, Page, heading, page_title

#: How far ahead the dashboard looks for coverage gaps.
GAP_LOOKAHEAD = timedelta(days=14)


@dataclass(frozen=True)
class DayCell:
    day: date
    chips: tuple[tuple[str, str, str, bool], ...]  # name, colour, suffix, is_override


@dataclass(frozen=True)
class Attention:
    text: str
    target: str | None  # page title to open for details
    severity: str  # "warning" or "error"


@dataclass(frozen=True)
class DashboardData:
    team_name: str
    tz_name: str
    now: datetime
    member_count: int
    current: SpanDTO | None
    current_phone: str | None
    current_text: NotificationDTO | None
    upcoming: tuple[SpanDTO, ...]
    week: tuple[DayCell, ...]
    attention: tuple[Attention, ...]
    heartbeat: HeartbeatDTO | None
    service_alive: bool


def load_dashboard(uow: UnitOfWork, now: datetime) -> DashboardData:
    """Everything the dashboard shows, in one read."""
    settings = get_settings(uow)
    tz = zone(settings.timezone)
    today = local_date(now, tz)
    monday = today - timedelta(days=today.weekday())
    view = schedule_view(uow, day_start(monday, tz), day_start(monday + timedelta(days=21), tz))
    spans = sorted(view.spans, key=lambda s: s.start)
    current = next((s for s in spans if s.start <= now < s.end), None)
    upcoming = tuple(s for s in spans if s.start >= now)[:3]
    phones = {m.id: m.phone for m in view.members}

    current_text: NotificationDTO | None = None
    if current is not None:
        texts, _ = history_page(
            uow,
            HistoryFilter(kinds=("shift_start",), member_id=current.member_id, since=current.start),
            limit=1,
            count=False,
        )
        current_text = texts[0] if texts else None

    week = tuple(_day_cell(monday + timedelta(days=i), spans, tz) for i in range(7))

    attention: list[Attention] = []
    beats = heartbeats(uow)
    alive = service_is_alive(beats, now)
    if not beats:
        attention.append(
            Attention(
                "The service has never run on this database: no texts are being sent.",
                None,
                "error",
            )
        )
    elif not alive:
        attention.append(
            Attention(
                f"The service has been silent since {fmt.when(beats[0].last_tick_at, tz)}: "
                "texts wait in the queue until it runs again.",
                None,
                "error",
            )
        )
    for n in problem_notifications(uow, now - timedelta(days=7))[:5]:
        error = fmt.error_text(n.error_code, n.error_message)
        reason = f" ({error})" if error else ""
        attention.append(
            Attention(
                f"{n.recipient_name}'s {fmt.KIND_LABELS.get(n.kind, n.kind).lower()} text "
                f"{fmt.when_compact(n.due_at, tz)} {n.status}{reason}",
                "Texts",
                "error",
            )
        )
    gaps = [g for g in view.gaps if g[1] > now and g[0] < now + GAP_LOOKAHEAD]
    for start, end in gaps[:3]:
        attention.append(
            Attention(
                f"Nobody is on call {fmt.when_compact(start, tz)} → {fmt.when_compact(end, tz)}",
                "Calendar",
                "warning",
            )
        )
    horizon = horizon_end(uow)
    if view.members and (
        horizon is None or horizon - now < timedelta(weeks=EXTEND_WHEN_WEEKS_LEFT)
    ):
        weeks_left = 0 if horizon is None else max(0, (horizon - now).days // 7)
        attention.append(
            Attention(
                f"The schedule ends in {weeks_left} week(s) — the service extends it automatically "
                "when it runs.",
                None,
                "warning",
            )
        )
    active = [m for m in view.members if m.active and not m.archived]
    return DashboardData(
        team_name=settings.team_name,
        tz_name=settings.timezone,
        now=now,
        member_count=len(active),
        current=current,
        current_phone=phones.get(current.member_id) if current else None,
        current_text=current_text,
        upcoming=upcoming,
        week=week,
        attention=tuple(attention),
        heartbeat=beats[0] if beats else None,
        service_alive=alive,
    )


def _day_cell(day: date, spans: list[SpanDTO], tz: ZoneInfo) -> DayCell:
    lo, hi = day_start(day, tz), day_start(day + timedelta(days=1), tz)
    chips: list[tuple[str, str, str, bool]] = []
    for s in spans:
        if lo <= s.start < hi:
            length = fmt_duration(s.start, s.end, tz)
            chips.append(
                (
                    s.member_name,
                    s.member_color,
                    "" if length == "24h" else f" ({length})",
                    s.is_override,
                )
            )
    if not chips:
        for s in spans:
            if s.start < hi and s.end > lo:
                chips.append((s.member_name, s.member_color, " (continues)", s.is_override))
                break
    return DayCell(day, tuple(chips))


class Card(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.layout_ = QVBoxLayout(self)


class DashboardPage(Page):
    title = "Dashboard"

    def __init__(self, ctx, parent: QWidget | None = None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, parent)
        self.data: DashboardData | None = None
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
        self.stack.setCurrentWidget(self.empty)
        self.badge_changed.emit("")

    def show_data(self, data: DashboardData) -> None:
        self.data = data
        self.stack.setCurrentIndex(0)
        tz = zone(data.tz_name)
        self.title_label.setText(f"{data.team_name} — {fmt.when(data.now, tz)}")
        if data.member_count == 0 and data.current is None:
            self.now_label.setText(
                "Nobody yet — add members on the <b>Team</b> page (Team ▸ Add member…)."
            )
        elif data.current is None:
            self.now_label.setText(
                f'<span style="color:{fmt.ERROR_COLOR}"><b>Nobody is on call right now.</b></span>'
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
                mark = " ✓" if t.status == "delivered" else ""
                lines.append(
                    f'text <span style="color:{color}"><b>{t.status}</b></span> '
                    f"{fmt.escape(fmt.when_exact(stamp, tz))}{mark}"
                )
            else:
                lines.append("no shift-start text recorded for this shift yet")
            self.now_label.setText("<br>".join(lines))
        if data.upcoming:
            self.next_label.setText(
                "<br>".join(
                    f"{fmt.chip_html(s.member_name, s.member_color, override=s.is_override)}"
                    f"&nbsp;&nbsp;{fmt.escape(fmt.when_short(s.start, tz))}"
                    for s in data.upcoming
                )
            )
        else:
            self.next_label.setText("Nothing scheduled.")
        today = local_date(data.now, tz)
        for i, cell in enumerate(data.week):
            label = f"{WEEKDAY_ABBR[cell.day.weekday()]} {cell.day.month}/{cell.day.day}"
            self.day_labels[i].setText(f"<b>{label}</b>" if cell.day == today else label)
            if cell.chips:
                self.day_chips[i].setText(
                    "<br>".join(
                        fmt.chip_html(n, c, suffix=sfx, override=o) for n, c, sfx, o in cell.chips
                    )
                )
            else:
                self.day_chips[i].setText(
                    f'<span style="color:{fmt.ERROR_COLOR}">NO COVERAGE</span>'
                )
        self._show_attention(data)
        self._show_service(data, tz)
        count = len(data.attention)
        self.badge_changed.emit(str(count) if count else "")

    def _show_attention(self, data: DashboardData) -> None:
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
            color = fmt.ERROR_COLOR if a.severity == "error" else fmt.WARNING_COLOR
            label = QLabel(f'<span style="color:{color}">⚠</span> {fmt.escape(a.text)}')
            label.setWordWrap(True)
            label.setAccessibleName(a.text)
            h.addWidget(label, 1)
            if a.target:
                button = QPushButton("Details…")
                button.setAccessibleName(f"Details: {a.text}")
                button.setToolTip(f"Open the {a.target} page")
                target = a.target
                button.clicked.connect(lambda _=False, t=target: self.navigate_requested.emit(t))
                h.addWidget(button)
            self.attention_box.addWidget(row)

    def _show_service(self, data: DashboardData, tz: ZoneInfo) -> None:
        hb = data.heartbeat
        if hb is None:
            self.service_label.setText(
                "Never seen on this database. Start it with “whoseonfirst-service run” "
                "(see the README); until then texts wait in the queue."
            )
            return
        state = "up" if data.service_alive else "SILENT"
        parts = [
            f"{state} on {hb.host}",
            f"v{hb.version}",
            f"SMS: {hb.sms_backend}",
            f"last tick {fmt.age(hb.last_tick_at, data.now)}",
        ]
        if hb.next_due_at is not None:
            parts.append(f"next text {fmt.when_short(hb.next_due_at, tz)}")
        text = " · ".join(parts)
        if hb.last_error:
            text += f"\nLast error: {hb.last_error}"
        self.service_label.setText(text)
