"""Light or dark: follow the desktop's colour scheme, or the user's View ▸ Appearance choice.

"System" follows ``QStyleHints.colorScheme()`` (Qt 6.5+) and its changes; Light and Dark are
asked of the platform too (``setColorScheme``, Qt 6.8+). Where the platform's palette still does
not match (a bare X server, the offscreen platform, a style without a dark palette), the app
sets the palette itself: the style's standard palette for light, :func:`dark_palette` for
dark. The choice is kept in QSettings under :data:`SETTINGS_KEY`.
"""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QMenu

Appearance = Literal["system", "light", "dark"]
APPEARANCES: tuple[Appearance, ...] = ("system", "light", "dark")
LABELS: dict[Appearance, str] = {"system": "&System", "light": "&Light", "dark": "&Dark"}
SETTINGS_KEY = "view/appearance"

_R = QPalette.ColorRole
_G = QPalette.ColorGroup

#: The dark palette's colours (KDE Breeze Dark's, roughly): role → (active, disabled).
_DARK: dict[QPalette.ColorRole, tuple[str, str]] = {
    _R.Window: ("#2A2E32", "#2A2E32"),
    _R.WindowText: ("#FCFCFC", "#8A8D90"),
    _R.Base: ("#1B1E20", "#1B1E20"),
    _R.AlternateBase: ("#232629", "#232629"),
    _R.Text: ("#FCFCFC", "#8A8D90"),
    _R.PlaceholderText: ("#A1A9B1", "#6E7378"),
    _R.Button: ("#31363B", "#2E3338"),
    _R.ButtonText: ("#FCFCFC", "#8A8D90"),
    _R.BrightText: ("#FFFFFF", "#FFFFFF"),
    _R.Light: ("#40464C", "#40464C"),
    _R.Midlight: ("#363B40", "#363B40"),
    _R.Mid: ("#6E7378", "#5A5F64"),
    _R.Dark: ("#141618", "#141618"),
    _R.Shadow: ("#0B0C0D", "#0B0C0D"),
    _R.Highlight: ("#3DAEE9", "#3A4045"),
    _R.HighlightedText: ("#0B0C0D", "#8A8D90"),
    _R.ToolTipBase: ("#31363B", "#31363B"),
    _R.ToolTipText: ("#FCFCFC", "#FCFCFC"),
    _R.Link: ("#3DAEE9", "#3DAEE9"),
    _R.LinkVisited: ("#9B59B6", "#9B59B6"),
}


def dark_palette() -> QPalette:
    """The app's own dark palette (for platforms whose style has none)."""
    palette = QPalette()
    for role, (active, disabled) in _DARK.items():
        for group in (_G.Active, _G.Inactive):
            palette.setColor(group, role, QColor(active))
        palette.setColor(_G.Disabled, role, QColor(disabled))
    return palette


def light_palette() -> QPalette:
    """The style's own light palette."""
    style = QApplication.style()
    return style.standardPalette() if style is not None else QPalette()


def is_dark(palette: QPalette) -> bool:
    """A palette whose windows are darker than their text."""
    return palette.color(_R.Window).lightness() < palette.color(_R.WindowText).lightness()


def stored_appearance(settings: QSettings) -> Appearance:
    value = str(settings.value(SETTINGS_KEY, "system"))
    return next((a for a in APPEARANCES if a == value), "system")


def desktop_scheme() -> Qt.ColorScheme:
    """What the desktop asks for: Light, Dark or Unknown."""
    return QGuiApplication.styleHints().colorScheme()


def effective_scheme(choice: Appearance) -> Qt.ColorScheme:
    """The scheme ``choice`` means now (``system``: the desktop's; Unknown counts as light)."""
    if choice == "light":
        return Qt.ColorScheme.Light
    if choice == "dark":
        return Qt.ColorScheme.Dark
    scheme = desktop_scheme()
    return Qt.ColorScheme.Dark if scheme == Qt.ColorScheme.Dark else Qt.ColorScheme.Light


class AppearanceController(QObject):
    """Applies the user's choice to the application and re-applies it when the desktop's
    scheme changes while "System" is chosen. ``applied`` follows every application (pages
    redraw their coloured text: :func:`whoseonfirst_gui.format.readable`)."""

    applied = Signal()

    def __init__(self, settings: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.choice: Appearance = stored_appearance(settings)
        self._applying = False
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._desktop_changed)

    def set_choice(self, choice: Appearance) -> None:
        self.choice = choice
        self.settings.setValue(SETTINGS_KEY, choice)
        self.apply()

    def apply(self) -> None:
        app = QApplication.instance()
        if not isinstance(app, QApplication) or self._applying:
            return
        self._applying = True
        try:
            hints = QGuiApplication.styleHints()
            if hasattr(hints, "setColorScheme"):  # Qt 6.8+: ask the platform first
                hints.setColorScheme(_REQUEST[self.choice])
            want_dark = effective_scheme(self.choice) == Qt.ColorScheme.Dark
            app.setPalette(QPalette())  # the platform's own palette (nothing of ours resolved)
            if is_dark(app.palette()) != want_dark:
                app.setPalette(dark_palette() if want_dark else light_palette())
        finally:
            self._applying = False
        self.applied.emit()

    def _desktop_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self.choice == "system":
            self.apply()


#: What each choice asks of the platform (Unknown: the desktop's own scheme).
_REQUEST: dict[Appearance, Qt.ColorScheme] = {
    "system": Qt.ColorScheme.Unknown,
    "light": Qt.ColorScheme.Light,
    "dark": Qt.ColorScheme.Dark,
}


def add_appearance_menu(menu: QMenu, controller: AppearanceController) -> dict[Appearance, QAction]:
    """View ▸ Appearance ▸ System / Light / Dark: one checked at a time, the stored one first."""
    sub = menu.addMenu("&Appearance")
    group = QActionGroup(sub)
    group.setExclusive(True)
    actions: dict[Appearance, QAction] = {}
    for choice in APPEARANCES:
        action = sub.addAction(LABELS[choice])
        action.setCheckable(True)
        action.setChecked(choice == controller.choice)
        action.setStatusTip(
            "Follow the desktop's colour scheme" if choice == "system" else f"Always {choice}"
        )
        action.triggered.connect(lambda _checked=False, c=choice: controller.set_choice(c))
        group.addAction(action)
        actions[choice] = action
    return actions
