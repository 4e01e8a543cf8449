"""A picture of the weekly pattern: one bar Monday 00:00 → Sunday 24:00, a block per shift.

Gaps are hatched and labelled "gap"; overlapping shifts are drawn in red. Purely a view of the
rows it is given — judging them is the core's job.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from whoseonfirst_core.domain.rotation import MINUTES_PER_WEEK
from whoseonfirst_core.usecases.common import PALETTE
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.format import ERROR_COLOR

Block = tuple[str, int, int]  # name, start minute of the week, length in minutes


class WeekBar(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._blocks: list[Block] = []
        self._overlap = False
        self.setMinimumHeight(86)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Week bar: the shifts across the week")

    def sizeHint(self) -> QSize:
        return QSize(700, 86)

    def set_blocks(self, blocks: Sequence[Block], *, overlap: bool = False) -> None:
        self._blocks = list(blocks)
        self._overlap = overlap
        desc = "; ".join(
            f"{name} {fmt.weekday_of_week((start // 1440) % 7)} {start % 1440 // 60:02d}:"
            f"{start % 60:02d} for {length // 60} h"
            for name, start, length in self._blocks
        )
        if overlap:
            desc += "; shifts overlap: fix the pattern before saving"
        self.setAccessibleDescription(desc or "no shifts")
        self.setToolTip(desc.replace("; ", "\n") or "No shifts")
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        w = self.width() - 2
        bar = QRectF(1, 4, w, 46)
        scale = w / MINUTES_PER_WEEK
        # The gap background: everything not covered by a shift.
        p.setPen(QPen(pal.color(QPalette.ColorRole.Mid), 1))
        p.setBrush(QBrush(pal.color(QPalette.ColorRole.Mid), Qt.BrushStyle.BDiagPattern))
        p.drawRoundedRect(bar, 4, 4)
        font = QFont(self.font())
        p.setFont(font)
        metrics = p.fontMetrics()
        if not self._blocks:
            p.setPen(pal.color(QPalette.ColorRole.Text))
            p.drawText(bar, Qt.AlignmentFlag.AlignCenter, "No shifts: the whole week is a gap")
        for i, (name, start, length) in enumerate(self._blocks):
            color = QColor(ERROR_COLOR if self._overlap else PALETTE[i % len(PALETTE)])
            pieces = [(start, min(length, MINUTES_PER_WEEK - start))]
            if start + length > MINUTES_PER_WEEK:  # wraps past Sunday midnight
                pieces.append((0, start + length - MINUTES_PER_WEEK))
            for a, n in pieces:
                rect = QRectF(bar.left() + a * scale, bar.top(), n * scale, bar.height())
                p.setPen(QPen(pal.color(QPalette.ColorRole.Base), 1.5))
                p.setBrush(color)
                p.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
                p.setPen(QColor("#FFFFFF"))
                text = metrics.elidedText(name, Qt.TextElideMode.ElideRight, int(rect.width()) - 8)
                p.drawText(rect.adjusted(4, 0, -4, 0), Qt.AlignmentFlag.AlignCenter, text)
        # Day ticks and labels.
        p.setPen(QPen(pal.color(QPalette.ColorRole.Text), 1))
        for d in range(8):
            x = bar.left() + d * 1440 * scale
            p.drawLine(int(x), int(bar.bottom()), int(x), int(bar.bottom()) + 6)
            if d < 7:
                label_rect = QRectF(x, bar.bottom() + 6, 1440 * scale, metrics.height() + 4)
                p.drawText(label_rect, Qt.AlignmentFlag.AlignCenter, fmt.weekday_of_week(d))
        p.end()
