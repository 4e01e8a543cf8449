"""The Settings page: the form (``page``), its text editors (``template_editor``, ``wording``),
the change-notice settings (``notices``) and the escalation contacts (``contacts``)."""

from whoseonfirst_gui.pages.settings.page import SettingsPage

__all__ = ["SettingsPage"]
