"""Audit: every change by anyone, newest first, with before/after."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QTextBrowser,
    QWidget,
)

from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.timeutil import zone
from whoseonfirst_core.usecases.audit import audit_page
from whoseonfirst_core.usecases.config import get_settings
from whoseonfirst_core.usecases.dto import AuditDTO
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.pages.base import NO_TEAM_TEXT, page_title
from whoseonfirst_gui.pages.paging import ListPageData, PagedListPage, list_table
from whoseonfirst_gui.qtmodels.audit_model import AuditModel

PAGE_SIZE = 200


class AuditData(ListPageData[AuditDTO]):
    """A page of the audit log."""


def load_audit(uow: UnitOfWork, text: str, offset: int) -> AuditData:
    tz_name = get_settings(uow).timezone
    rows, total = audit_page(uow, text=text, offset=offset, limit=PAGE_SIZE)
    return AuditData(tuple(rows), total, offset, tz_name)


class AuditPage(PagedListPage):
    title = "Audit"
    page_size = PAGE_SIZE
    search_words = ("Filter by who, action or change  (Ctrl+F)", "Filter the audit log")
    pager_words = ("Newer changes", "Older changes")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.data: AuditData | None = None
        top = QHBoxLayout()
        top.addWidget(page_title("Audit"))
        top.addStretch(1)
        self.search.setMinimumWidth(320)
        top.addWidget(self.search)

        self.model = AuditModel(self)
        self.view = list_table(self.model, "Audit log")
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._show_detail())
        self.details = QTextBrowser()
        self.details.setAccessibleName("Change details")
        self.details.setPlaceholderText("Select a change to see what it was before and after.")
        self.lay_out([top], self.view, self.details, details_stretch=1)

    def refresh(self) -> None:
        text, offset = self.search.text(), self.offset
        self.read(lambda uow: load_audit(uow, text, offset), self._show, on_no_team=self._no_team)

    def _no_team(self) -> None:
        self.model.set_rows([], ZoneInfo("UTC"))
        self.details.clear()
        self.pager.show_message(NO_TEAM_TEXT)

    def _show(self, data: AuditData) -> None:
        selected = self.model.row_at(self.view.currentIndex().row())
        self.data = data
        self.model.set_rows(data.rows, zone(data.tz_name))
        rows = [i for i, a in enumerate(data.rows) if selected and a.id == selected.id]
        if rows or data.rows:
            self.view.selectRow(rows[0] if rows else 0)  # the newest change, not an empty pane
        else:
            self.details.clear()  # not the details of a change the list no longer shows
        self.pager.show_page(
            data.offset,
            len(data.rows),
            data.total,
            "No changes match." if self.search.text().strip() else "No changes recorded yet.",
        )

    def _show_detail(self) -> None:
        index = self.view.currentIndex()
        a = self.model.row_at(index.row()) if index.isValid() else None
        if a is None or self.data is None:
            self.details.clear()
            return
        keys = sorted(set(a.before or {}) | set(a.after or {}))
        rows = []
        for k in keys:
            b = (a.before or {}).get(k, "")
            af = (a.after or {}).get(k, "")
            changed = b != af
            style = ' style="font-weight:bold"' if changed and a.before and a.after else ""
            rows.append(
                f"<tr{style}><td>{fmt.escape(k)}</td><td>{fmt.escape(_show(b))}</td>"
                f"<td>{fmt.escape(_show(af))}</td></tr>"
            )
        table = (
            (
                "<table cellpadding=3><tr><th align=left>Field</th><th align=left>Before</th>"
                "<th align=left>After</th></tr>" + "".join(rows) + "</table>"
            )
            if rows
            else ""
        )
        self.details.setHtml(
            f"<p><b>{fmt.escape(a.summary)}</b><br>{fmt.when(a.at, zone(self.data.tz_name))} · "
            f"{fmt.escape(a.actor)} · {fmt.escape(a.action)}"
            f"{' · ' + fmt.escape(a.entity) + ' ' + fmt.escape(a.entity_id or '')}</p>{table}"
        )


def _show(value: object) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
