"""PySide6.QtPrintSupport with the bundle's Qt plugin allow-list and no translations
(replaces PyInstaller's own hook for it; see installer/bundle/slimming.py)."""

from installer.bundle.slimming import qt_module_hook as hook

__all__ = ["hook"]
