"""Drawing a :class:`~whoseonfirst_gui.calendar.print_sheet.ScheduleSheet` on paper: a printer
(File ▸ Print…), a PDF file (File ▸ Export PDF…, ``QPdfWriter``) or an image.

One landscape page per sheet. Black on white, so a black-and-white printer loses nothing:
every name and time is text; an override is boxed twice with a hatched edge and says
``⇄ covers …``; a gap is cross-hatched and says ``No one on call``; a member's colour is only a
small swatch beside the name. Lengths are in millimetres, converted with the device's
resolution, so the printer, the PDF and an image at any resolution get the same layout.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QMarginsF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QImage,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPaintDevice,
    QPainter,
    QPdfWriter,
    QPen,
)
from PySide6.QtPrintSupport import QPrinter

from whoseonfirst_gui.calendar.print_sheet import ScheduleSheet, SheetChip, SheetDay

#: The page every sheet starts from: the team is in the US (its phones are), so Letter.
PAGE_SIZE = QPageSize.PageSizeId.Letter
MARGIN_MM = 10.0
PDF_DPI = 300

INK = QColor("black")
FAINT = QColor(110, 110, 110)
SHADE = QColor(235, 235, 235)

#: A chip's edge (the member's colour, or an override's hatching) and the room beside its text.
CHIP_BAND_MM = 2.2
CHIP_PAD_MM = 1.0
GAP_POINTS = 7.5

_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def set_up_page(device: QPagedPaintDevice) -> None:
    """Landscape Letter with 10 mm margins (a print dialog may still change them)."""
    device.setPageLayout(
        QPageLayout(
            QPageSize(PAGE_SIZE),
            QPageLayout.Orientation.Landscape,
            QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
            QPageLayout.Unit.Millimeter,
        )
    )


def pdf_bytes(sheet: ScheduleSheet) -> bytes:
    """``sheet`` as a one-page PDF."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(PDF_DPI)
    writer.setTitle(f"{sheet.title}, {sheet.range_text}")
    writer.setCreator("WhoseOnFirst")
    set_up_page(writer)
    render(writer, sheet, "cannot make the PDF")
    return bytes(buffer.data().data())


def write_pdf(path: str | Path, sheet: ScheduleSheet) -> None:
    """Write ``sheet`` as a one-page PDF at ``path`` (``OSError`` naming the reason when the
    file cannot be written)."""
    Path(path).write_bytes(pdf_bytes(sheet))


def print_sheet(printer: QPrinter, sheet: ScheduleSheet) -> None:
    """Send ``sheet`` to ``printer`` as set up by the print dialog (or a PDF-format printer)."""
    printer.setDocName(f"{sheet.title}, {sheet.range_text}")
    render(printer, sheet, f"cannot print to {printer.printerName() or 'the printer'}")


def render(device: QPaintDevice, sheet: ScheduleSheet, failure: str) -> None:
    """Paint ``sheet`` on ``device`` (its whole paintable area); ``OSError(failure)`` when the
    device cannot be painted on (a printer that would not start the job)."""
    painter = QPainter()
    if not painter.begin(device):
        raise OSError(failure)
    try:
        SheetPainter(painter, device.logicalDpiY()).paint(
            QRectF(0, 0, device.width(), device.height()), sheet
        )
    finally:
        painter.end()


def sheet_image(sheet: ScheduleSheet, dpi: int = 120) -> QImage:
    """The page as an image (for the README and tests): landscape Letter inside its margins."""
    size = QPageSize(PAGE_SIZE).size(QPageSize.Unit.Inch)
    margin = 2 * MARGIN_MM / 25.4
    image = QImage(
        round((size.height() - margin) * dpi),
        round((size.width() - margin) * dpi),
        QImage.Format.Format_RGB32,
    )
    image.setDotsPerMeterX(round(dpi / 0.0254))
    image.setDotsPerMeterY(round(dpi / 0.0254))
    image.fill(QColor("white"))
    render(image, sheet, "cannot paint the image")
    return image


class SheetPainter:
    """Paints one sheet into a rectangle of a device with ``dpi`` dots per inch."""

    def __init__(self, painter: QPainter, dpi: float) -> None:
        self.p = painter
        self.mm = dpi / 25.4
        #: Every line as drawn (after eliding to fit): what a reader of the page sees.
        self.drawn: list[str] = []
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)

    # --- fonts and lines ------------------------------------------------------------------

    def font(self, points: float, *, bold: bool = False, italic: bool = False) -> QFont:
        f = QFont()
        f.setPointSizeF(points)
        f.setBold(bold)
        f.setItalic(italic)
        self.p.setFont(f)
        return f

    def line_height(self) -> float:
        return float(self.p.fontMetrics().height())

    def pen(self, width_mm: float, color: QColor = INK) -> None:
        self.p.setPen(QPen(color, width_mm * self.mm))

    def text(
        self, rect: QRectF, text: str, align: Qt.AlignmentFlag = _LEFT, color: QColor = INK
    ) -> None:
        self.p.setPen(color)
        fm = self.p.fontMetrics()
        # The same measure as wrap(): what it let through is drawn whole.
        elided = (
            text
            if fm.horizontalAdvance(text) <= rect.width()
            else fm.elidedText(text, Qt.TextElideMode.ElideRight, int(rect.width()))
        )
        self.p.drawText(rect, int(align), elided)
        self.drawn.append(elided)

    # --- the page -------------------------------------------------------------------------

    def paint(self, area: QRectF, sheet: ScheduleSheet) -> None:
        mm = self.mm
        top = self._header(area, sheet)
        bottom = self._footer(area, sheet)
        grid = QRectF(area.left(), top + 3 * mm, area.width(), bottom - top - 5 * mm)
        self.font(9, bold=True)
        head_h = self.line_height() * 1.5
        col_w = grid.width() / 7
        for i, name in enumerate(sheet.weekdays):
            cell = QRectF(grid.left() + i * col_w, grid.top(), col_w, head_h)
            self.p.fillRect(cell, SHADE)
            self.pen(0.25)
            self.p.drawRect(cell)
            self.text(cell.adjusted(2 * mm, 0, -2 * mm, 0), name)
        row_h = (grid.height() - head_h) / max(1, len(sheet.weeks))
        for r, week in enumerate(sheet.weeks):
            for c, day in enumerate(week):
                cell = QRectF(
                    grid.left() + c * col_w, grid.top() + head_h + r * row_h, col_w, row_h
                )
                self._day(cell, day, sheet.mode == "week")

    def _header(self, area: QRectF, sheet: ScheduleSheet) -> float:
        self.font(15, bold=True)
        h = self.line_height()
        row = QRectF(area.left(), area.top(), area.width(), h)
        self.text(row, sheet.title)
        self.text(row, sheet.range_text, _RIGHT)
        self.font(9)
        zone_row = QRectF(
            area.left(), row.bottom() + 0.5 * self.mm, area.width(), self.line_height()
        )
        self.text(zone_row, sheet.zone_text)
        return zone_row.bottom()

    def _footer(self, area: QRectF, sheet: ScheduleSheet) -> float:
        self.font(8)
        h = self.line_height()
        legend = QRectF(area.left(), area.bottom() - h, area.width(), h)
        printed = QRectF(area.left(), legend.top() - h, area.width(), h)
        self.text(printed, sheet.printed_text)
        self.text(printed, "Page 1 of 1", _RIGHT)
        self.text(legend, sheet.legend)
        return printed.top()

    def wrap(self, text: str, width: float) -> list[str]:
        """``text`` in the current font cut into lines at spaces to fit ``width`` (a single
        word wider than that is elided when drawn)."""
        fits = self.p.fontMetrics().horizontalAdvance
        lines: list[str] = []
        for word in text.split(" "):
            if lines and fits(f"{lines[-1]} {word}") <= width:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
        return lines

    def lines(self, rect: QRectF, lines: list[str]) -> float:
        """Draw ``lines`` from the top of ``rect`` in the current font; returns their bottom."""
        y = rect.top()
        for line in lines:
            h = self.line_height()
            self.text(QRectF(rect.left(), y, rect.width(), h), line)
            y += h
        return y

    # --- a day ----------------------------------------------------------------------------

    def _day(self, cell: QRectF, day: SheetDay, week: bool) -> None:
        mm = self.mm
        if not day.in_focus:
            self.p.fillRect(cell, SHADE)
        self.pen(0.25)
        self.p.drawRect(cell)
        inner = cell.adjusted(1.5 * mm, 1 * mm, -1.5 * mm, -1 * mm)
        self.font(11 if week else 8.5, bold=True)
        label = QRectF(inner.left(), inner.top(), inner.width(), self.line_height())
        self.text(label, day.label, color=INK if day.in_focus else FAINT)
        y = label.bottom()
        if day.dst_change:
            self.font(7.5, italic=True)
            below = QRectF(inner.left(), y, inner.width(), inner.height())
            y = self.lines(below, self.wrap(f"Clocks change: {day.dst_change}", inner.width()))
        self.font(GAP_POINTS, italic=True)
        room = inner.width() - 4 * mm
        gaps = [self.wrap(f"No one on call {when}", room) for when in day.gaps]
        gaps_top = inner.bottom() - sum(len(g) for g in gaps) * self.line_height()
        y += 0.8 * mm
        text_width = inner.width() - (CHIP_BAND_MM + 2 * CHIP_PAD_MM) * mm
        for i, chip in enumerate(day.chips):
            lines = self._chip_lines(chip, week, text_width)
            height = self._chip_height(lines, week or chip.override)
            rest = len(day.chips) - i
            self.font(7.5, bold=True)
            if y + height > gaps_top - (0 if rest == 1 else self.line_height()):
                self.text(
                    QRectF(inner.left(), y, inner.width(), self.line_height()), f"+{rest} more"
                )
                break
            self._chip(QRectF(inner.left(), y, inner.width(), height), chip, week, lines)
            y += height + 0.8 * mm
        y = gaps_top
        for gap in gaps:
            self.font(GAP_POINTS, italic=True)
            height = len(gap) * self.line_height()
            band = QRectF(inner.left(), y + 0.4 * mm, 3 * mm, height - 0.8 * mm)
            self.p.fillRect(band, QBrush(INK, Qt.BrushStyle.DiagCrossPattern))
            y = self.lines(QRectF(band.right() + mm, y, room, height), gap)

    def _chip_lines(
        self, chip: SheetChip, week: bool, width: float
    ) -> list[tuple[str, float, bool]]:
        """(text, points, bold) per line of a chip, wrapped to ``width``."""
        mark = "⇄ " if chip.override else ""
        if week:
            parts = [(f"{mark}{chip.name}", 11.0, True)]
            parts += [(part, 9.0, False) for part in chip.when.split("\n")]
            parts.append((chip.note, 9.0, chip.override))
        else:
            parts = [(f"{mark}{chip.when} {chip.name}", 8.0, chip.override)]
            if chip.override:
                parts.append((chip.note, 7.5, True))
        out = []
        for text, points, bold in parts:
            self.font(points, bold=bold)
            out += [(line, points, bold) for line in self.wrap(text, width)]
        return out

    def _chip_height(self, lines: list[tuple[str, float, bool]], boxed: bool) -> float:
        total = 0.0
        for _text, points, bold in lines:
            self.font(points, bold=bold)
            total += self.line_height()
        return total + (1.6 if boxed else 0.0) * self.mm

    def _chip(
        self, box: QRectF, chip: SheetChip, week: bool, lines: list[tuple[str, float, bool]]
    ) -> None:
        mm = self.mm
        boxed = week or chip.override
        band = QRectF(box.left(), box.top(), CHIP_BAND_MM * mm, box.height())
        if chip.override:
            self.p.fillRect(band, QBrush(INK, Qt.BrushStyle.BDiagPattern))
        else:
            self.p.fillRect(band.adjusted(0, 0.6 * mm, 0, -0.6 * mm), QColor(chip.color))
        if boxed:
            self.p.setBrush(Qt.BrushStyle.NoBrush)
            self.pen(0.5 if chip.override else 0.2)
            self.p.drawRect(box)
            if chip.override:
                self.pen(0.2)
                self.p.drawRect(box.adjusted(0.9 * mm, 0.9 * mm, -0.9 * mm, -0.9 * mm))
        y = box.top() + (0.8 * mm if boxed else 0.0)
        left = band.right() + CHIP_PAD_MM * mm
        for text, points, bold in lines:
            self.font(points, bold=bold)
            h = self.line_height()
            self.text(QRectF(left, y, box.right() - left - CHIP_PAD_MM * mm, h), text)
            y += h
