"""Texts: the texts the team sent and those sent to it, in one list with filters, paging,
status colours, details and Resend."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.notification import PROBLEM_STATUSES, Kind, Status, ordered
from whoseonfirst_core.domain.timeutil import day_start, zone
from whoseonfirst_core.usecases.config import get_settings
from whoseonfirst_core.usecases.dto import (
    AttemptDTO,
    InboundDTO,
    MemberDTO,
    NotificationDTO,
    SpanDTO,
    TextRow,
)
from whoseonfirst_core.usecases.notifications import (
    IN,
    OUT,
    HistoryFilter,
    attempts_of,
    history_counts,
    resend,
    texts_page,
)
from whoseonfirst_core.usecases.schedule import span_at
from whoseonfirst_core.usecases.team import list_members
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.pages.base import NO_TEAM_TEXT, page_title
from whoseonfirst_gui.pages.paging import ListPageData, PagedListPage, list_table
from whoseonfirst_gui.qtmodels.history_model import HistoryModel, StatusPillDelegate, row_key

PAGE_SIZE = 100
PHONE_LIKE = re.compile(r"\+?[\d\s().-]+")
ANY_DATE = QDate(2000, 1, 1)  # the date edits' "any" value


@dataclass(frozen=True)
class DetailData:
    text: TextRow
    #: The send attempts of a text the team sent (none for one sent to it).
    attempts: tuple[AttemptDTO, ...]
    on_call: SpanDTO | None


@dataclass(frozen=True)
class HistoryData(ListPageData[TextRow]):
    members: tuple[tuple[int, str], ...]
    problems: int
    #: The details of the text the page shows selected, read with the page (one trip to the
    #: database instead of two: it matters on a distant shared database).
    detail: DetailData | None = None


def load_history(
    uow: UnitOfWork,
    f: HistoryFilter,
    offset: int,
    now: datetime,
    selected: tuple[bool, int] | None = None,
) -> HistoryData:
    """The page of texts (both ways) at ``offset``, and the details of ``selected`` (a
    :func:`row_key`) if it is on that page, else of its newest text."""
    settings = get_settings(uow)
    rows = texts_page(uow, f, offset=offset, limit=PAGE_SIZE)
    total, problems = history_counts(uow, f, now - timedelta(days=7))
    members = list_members(uow)
    shown = next((r for r in rows if row_key(r) == selected), rows[0] if rows else None)
    detail = load_detail(uow, shown, members) if shown is not None else None
    return HistoryData(
        tuple(rows),
        total,
        offset,
        settings.timezone,
        tuple((m.id, m.name) for m in members),
        problems,
        detail,
    )


def load_detail(
    uow: UnitOfWork, row: TextRow, members: Sequence[MemberDTO] | None = None
) -> DetailData:
    if isinstance(row, InboundDTO):
        return DetailData(row, (), span_at(uow, row.sent_at, members))
    return DetailData(row, tuple(attempts_of(uow, row.id)), span_at(uow, row.due_at, members))


class NotificationsPage(PagedListPage):
    title = "Texts"
    page_size = PAGE_SIZE
    search_words = ("Search name, number, text, SID  (Ctrl+F)", "Search texts")
    pager_words = ("Newer page", "Older page")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.data: HistoryData | None = None
        self.detail: DetailData | None = None
        self._prefetched: DetailData | None = None  # read with the page, shown on selection
        self._tz = zone("UTC")

        filters = QHBoxLayout()
        self.way_combo = QComboBox()
        self.way_combo.addItem("Both ways", None)
        self.way_combo.addItem("Out (sent by the team)", OUT)
        self.way_combo.addItem("In (sent to the team)", IN)
        self.kind_combo = QComboBox()
        self.kind_combo.addItem("All kinds", None)
        for k in Kind:
            self.kind_combo.addItem(k.label, k.value)
        self.status_combo = QComboBox()
        self.status_combo.addItem("All statuses", None)
        problems = ", ".join(ordered(PROBLEM_STATUSES))
        self.status_combo.addItem(f"Problems ({problems})", "problems")
        for s in Status:
            self.status_combo.addItem(s.value, s.value)
        self.member_combo = QComboBox()
        self.member_combo.addItem("Everyone", None)
        self.from_edit = self._date_edit("From date")
        self.to_edit = self._date_edit("To date")
        for w, name in (
            (self.way_combo, "Direction filter"),
            (self.kind_combo, "Kind filter"),
            (self.status_combo, "Status filter"),
            (self.member_combo, "Member filter"),
        ):
            w.setAccessibleName(name)
            # As wide as a short choice, not the longest one (the popup shows it in full):
            # the filter row fits a 1024-pixel window.
            w.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            w.setMinimumContentsLength(8)
        filters.addWidget(self.way_combo)
        filters.addWidget(self.kind_combo)
        filters.addWidget(self.status_combo)
        filters.addWidget(self.member_combo)
        filters.addWidget(QLabel("From"))
        filters.addWidget(self.from_edit)
        filters.addWidget(QLabel("to"))
        filters.addWidget(self.to_edit)
        filters.addWidget(self.search, 1)

        self.model = HistoryModel(self)
        self.view = list_table(self.model, "Text history")
        self.view.setItemDelegateForColumn(HistoryModel.STATUS, StatusPillDelegate(self.view))
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        metrics = self.view.fontMetrics()
        for col, sample in (
            (HistoryModel.WAY, "Way"),
            (HistoryModel.DUE, "Wed 12/30 08:00 CDT"),
            (HistoryModel.SENT, "08:00:00"),
            (HistoryModel.KIND, "Confirm (OK)"),
            (HistoryModel.TO, "from Fay Fisher (+1 312-555-0106)"),
            (HistoryModel.STATUS, Status.UNDELIVERED),
            (HistoryModel.ATTEMPTS, "Attempts"),
            (HistoryModel.SID, "SM0123456789"),
        ):
            header.resizeSection(col, metrics.horizontalAdvance(sample) + 24)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._load_detail())

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        self.details = QTextBrowser()
        self.details.setAccessibleName("Text details")
        self.details.setOpenLinks(False)
        self.details.setPlaceholderText("Select a text for its details.")
        side_layout.addWidget(self.details, 1)
        side_buttons = QHBoxLayout()
        self.resend_button = QPushButton("&Resend")
        self.resend_button.setAccessibleName("Resend the selected text")
        self.resend_button.setToolTip("Queue a copy of this text to the same recipient now")
        self.resend_button.clicked.connect(self.resend_selected)
        self.test_button = QPushButton("Send test te&xt…")
        self.test_button.setAccessibleName("Send test text")
        self.test_button.clicked.connect(lambda: self.navigate_requested.emit("Test send"))
        side_buttons.addWidget(self.resend_button)
        side_buttons.addWidget(self.test_button)
        side_buttons.addStretch(1)
        side_layout.addLayout(side_buttons)
        split = self.lay_out([page_title("Texts"), filters], self.view, side, details_stretch=2)
        split.setSizes([420, 260])
        # A new filter starts again at the newest texts (the search box does so itself).
        for combo in (self.way_combo, self.kind_combo, self.status_combo, self.member_combo):
            combo.currentIndexChanged.connect(lambda _i: self.pager.first_page())
        # A text sent to the team has no kind or status of the outbox: those filters are off
        # while only such texts are listed.
        self.way_combo.currentIndexChanged.connect(lambda _i: self._update_way())
        for edit in (self.from_edit, self.to_edit):
            edit.dateChanged.connect(lambda _d: self.pager.first_page())
        self._update_buttons()

    def _date_edit(self, name: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setCalendarPopup(True)
        edit.setMinimumDate(ANY_DATE)
        edit.setSpecialValueText("any")
        edit.setDate(ANY_DATE)
        edit.setDisplayFormat(fmt.date_pattern())
        edit.setAccessibleName(name)
        return edit

    # --- filters -------------------------------------------------------------------------

    def _update_way(self) -> None:
        outgoing = self.way_combo.currentData() != IN
        self.kind_combo.setEnabled(outgoing)
        self.status_combo.setEnabled(outgoing)

    def current_filter(self) -> HistoryFilter:
        direction = self.way_combo.currentData()
        incoming = direction == IN
        kind = None if incoming else self.kind_combo.currentData()
        status = None if incoming else self.status_combo.currentData()
        statuses: tuple[str, ...] = ()
        if status == "problems":
            statuses = ordered(PROBLEM_STATUSES)
        elif status:
            statuses = (status,)
        since = until = None
        if self.from_edit.date() != ANY_DATE:
            since = day_start(_pydate(self.from_edit.date()), self._tz)
        if self.to_edit.date() != ANY_DATE:
            until = day_start(_pydate(self.to_edit.date()) + timedelta(days=1), self._tz)
        return HistoryFilter(
            kinds=(kind,) if kind else (),
            statuses=statuses,
            member_id=self.member_combo.currentData(),
            since=since,
            until=until,
            text=search_text(self.search.text()),
            direction=direction,
        )

    def show_problems(self) -> None:
        """Select the "Problems" filter (the dashboard's Details… buttons lead here)."""
        if self.way_combo.currentData() == IN:
            self.way_combo.setCurrentIndex(0)
        self.status_combo.setCurrentIndex(self.status_combo.findData("problems"))

    # --- loading -------------------------------------------------------------------------

    def refresh(self) -> None:
        f, offset, now = self.current_filter(), self.offset, self.now()
        current = self.selected()
        selected = row_key(current) if current is not None else None
        self.read(
            lambda uow: load_history(uow, f, offset, now, selected),
            self._show,
            on_no_team=self._no_team,
        )

    def _no_team(self) -> None:
        self.model.set_rows([], self._tz)
        self.detail = None
        self.details.clear()
        self.pager.show_message(NO_TEAM_TEXT)
        self._update_buttons()

    def _show(self, data: HistoryData) -> None:
        selected = self.selected()
        # The total can never be below what is on screen (guards a miscount from the query).
        total = max(data.total, data.offset + len(data.rows))
        data = replace(data, total=total)
        self.data = data
        self._tz = zone(data.tz_name)
        self._prefetched = data.detail
        self.model.set_rows(data.rows, self._tz)
        self._fill_members(data.members)
        self.pager.show_page(
            data.offset,
            len(data.rows),
            data.total,
            "No texts match."
            if self._filtered()
            else "No texts yet — they appear here as the service sends them. Try Send test text….",
        )
        row = self.model.row_of(row_key(selected)) if selected is not None else -1
        if row < 0 and self.model.rowCount():
            row = 0  # show the newest text's details rather than an empty pane
        if row >= 0:
            self.view.selectRow(row)
        else:
            self.detail = None  # not the details of a text the list no longer shows
            self.details.clear()
        # Selecting normally showed the prefetched details already; if the selection did not
        # move (so no signal came), show them here.
        pre, self._prefetched = self._prefetched, None
        now_selected = self.selected()
        if (
            pre is not None
            and now_selected is not None
            and row_key(pre.text) == row_key(now_selected)
        ):
            self._show_detail(pre)
        self._update_buttons()
        self.badge_changed.emit(str(data.problems) if data.problems else "")

    def _filtered(self) -> bool:
        f = self.current_filter()
        return bool(
            f.kinds
            or f.statuses
            or f.member_id
            or f.since
            or f.until
            or f.text.strip()
            or f.direction
        )

    def _fill_members(self, members: tuple[tuple[int, str], ...]) -> None:
        current = self.member_combo.currentData()
        existing = tuple(
            (self.member_combo.itemData(i), self.member_combo.itemText(i))
            for i in range(1, self.member_combo.count())
        )
        if existing == members:
            return
        self.member_combo.blockSignals(True)
        self.member_combo.clear()
        self.member_combo.addItem("Everyone", None)
        for mid, name in members:
            self.member_combo.addItem(name, mid)
        index = self.member_combo.findData(current)
        self.member_combo.setCurrentIndex(max(0, index))
        self.member_combo.blockSignals(False)

    def selected(self) -> TextRow | None:
        index = self.view.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def selected_sent(self) -> NotificationDTO | None:
        """The selected text if the team sent it (only such a text can be resent)."""
        row = self.selected()
        return row if isinstance(row, NotificationDTO) else None

    def _update_buttons(self) -> None:
        self.resend_button.setEnabled(self.selected_sent() is not None and not self.ctx.read_only)
        self.test_button.setEnabled(not self.ctx.read_only)

    def apply_read_only(self, read_only: bool) -> None:
        self._update_buttons()

    # --- details -------------------------------------------------------------------------

    def _load_detail(self) -> None:
        n = self.selected()
        self._update_buttons()
        if n is None:
            self.details.clear()
            return
        pre, self._prefetched = self._prefetched, None
        if pre is not None and row_key(pre.text) == row_key(n):
            self._show_detail(pre)  # read with the page a moment ago
            return
        self.read(lambda uow: load_detail(uow, n), self._show_detail, key="texts.detail")

    def _show_detail(self, d: DetailData) -> None:
        self.detail = d
        if isinstance(d.text, InboundDTO):
            self._show_inbound_detail(d.text, d.on_call)
            return
        n, tz = d.text, self._tz
        color = fmt.STATUS_COLORS.get(n.status, "#6B7280")
        rows = [
            ("Status", f'<b style="color:{fmt.readable(color)}">{n.status}</b>'),
            (
                "Kind",
                fmt.kind_label(n.kind) + (f" · {n.shift_name}" if n.shift_name else ""),
            ),
            ("To", f"{fmt.escape(n.recipient_name)} {fmt.escape(fmt.phone(n.recipient_phone))}"),
            ("Due", fmt.when(n.due_at, tz)),
            ("Valid until", fmt.when(n.expires_at, tz)),
            ("Sent", fmt.when(n.sent_at, tz)),
            ("Delivered", fmt.when(n.delivered_at, tz)),
            ("Failed", fmt.when(n.failed_at, tz)),
            ("Twilio SID", n.twilio_sid or ""),
            ("Error", fmt.escape(fmt.error_text(n.error_code, n.error_message))),
            ("Triggered by", fmt.escape(n.triggered_by)),
        ]
        body = fmt.escape(n.body).replace("\n", "<br>")
        attempts = (
            "".join(
                f"<li>#{a.number} {fmt.when(a.started_at, tz)}: <b>{fmt.escape(a.outcome)}</b>"
                + (
                    f" — {fmt.escape(fmt.error_text(a.error_code, a.error_message))}"
                    if a.error_code or a.error_message
                    else ""
                )
                + "</li>"
                for a in d.attempts
            )
            or "<li>none yet</li>"
        )
        self._set_details(
            rows, body, f"<b>Attempts</b><ul>{attempts}</ul>", _resolution(d.on_call, tz)
        )

    def _show_inbound_detail(self, m: InboundDTO, on_call: SpanDTO | None) -> None:
        tz = self._tz
        color = fmt.STATUS_COLORS[fmt.RECEIVED]
        rows = [
            (
                "Status",
                f'<b style="color:{fmt.readable(color)}">{fmt.RECEIVED}</b> (sent to the team)',
            ),
            ("Asked", fmt.escape(fmt.ASKS_LABELS.get(m.asks, m.asks))),
            ("From", fmt.escape(fmt.sender(m.sender_name, m.sender))),
            ("Sent", fmt.when(m.sent_at, tz)),
            ("Read by the service", fmt.when(m.received_at, tz)),
            ("Twilio SID", fmt.escape(m.twilio_sid)),
        ]
        body = fmt.escape(m.body).replace("\n", "<br>")
        did = f"<b>What it did</b><p>{fmt.escape(m.outcome)}</p>"
        self._set_details(rows, body, did, _resolution(on_call, tz))

    def _set_details(
        self, rows: list[tuple[str, str]], body: str, middle: str, resolution: str
    ) -> None:
        table = "".join(
            f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{v}</td></tr>" for k, v in rows if v
        )
        # Two columns, so the whole story fits the pane without scrolling.
        self.details.setHtml(
            f'<table width="100%" cellspacing="0"><tr>'
            f'<td valign="top" width="45%"><table>{table}</table></td>'
            f'<td valign="top" style="padding-left:16px"><b>Text</b><p>{body}</p>'
            f"{middle}"
            f"<b>On call at that time</b><p>{resolution}</p></td></tr></table>"
        )

    # --- resend --------------------------------------------------------------------------

    def resend_selected(self) -> None:
        n = self.selected_sent()
        if n is None or self.ctx.read_only:
            return
        if not self.ctx.messages.confirm(
            "Resend text",
            f"Queue a copy of this text to {n.recipient_name} "
            f"({fmt.phone(n.recipient_phone)}) now?",
        ):
            return
        self.write(
            lambda uow: resend(uow, self.now(), n.id),
            lambda dto: self.ctx.messages.flash(
                f"Queued a copy to {dto.recipient_name}; the service sends it."
            ),
            busy=self.resend_button,
        )


def _resolution(span: SpanDTO | None, tz: ZoneInfo) -> str:
    """Who was on call at the instant of a text, for its details."""
    if span is None:
        return "Nobody was on call at that instant."
    text = (
        f"{fmt.escape(span.member_name)} ({fmt.escape(span.shift_name)}, "
        f"{fmt.when_short(span.start, tz)} → {fmt.when_short(span.end, tz)})"
    )
    if span.is_override and span.scheduled_member_name:
        text += f", covering for {fmt.escape(span.scheduled_member_name)}"
    return text


def search_text(typed: str) -> str:
    """What to search for: a typed phone number ("555-0101", "(312) 555-0101") becomes its
    digits, so it matches the stored E.164 form; anything else is searched as typed."""
    text = typed.strip()
    if PHONE_LIKE.fullmatch(text) and sum(ch.isdigit() for ch in text) >= 4:
        return "".join(ch for ch in text if ch.isdigit())
    return text


def _pydate(d: QDate) -> date:
    return date(d.year(), d.month(), d.day())
