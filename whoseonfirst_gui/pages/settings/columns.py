"""The Settings page's two columns: side by side while the scroll area is wide enough for
both, one above the other when it is not (a small screen, a large scale factor), so the
right-hand column is never pushed out sideways."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QBoxLayout, QLayout, QScrollArea, QWidget


class FlowingColumns(QObject):
    """Sets ``body``'s ``layout`` (holding ``left`` and ``right``) left-to-right or
    top-to-bottom to fit the width of ``scroll``'s viewport, whenever it or the columns'
    contents change size."""

    def __init__(
        self, scroll: QScrollArea, body: QWidget, layout: QBoxLayout, left: QLayout, right: QLayout
    ) -> None:
        super().__init__(scroll)
        self.scroll = scroll
        self.layout = layout
        self.left = left
        self.right = right
        scroll.viewport().installEventFilter(self)
        body.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Resize, QEvent.Type.LayoutRequest):
            self.fit()
        return False

    def side_by_side_width(self) -> int:
        """The narrowest viewport that shows both columns side by side."""
        margins = self.layout.contentsMargins()
        return (
            self.left.minimumSize().width()
            + self.right.minimumSize().width()
            + self.layout.spacing()
            + margins.left()
            + margins.right()
        )

    def fit(self) -> None:
        wide = self.scroll.viewport().width() >= self.side_by_side_width()
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if self.layout.direction() != direction:
            self.layout.setDirection(direction)
