"""Packaging of WhoseOnFirst: the desktop bundle (``bundle/``, ``hooks/``, the PyInstaller spec
and ``build_app.py``) and the service's RHEL files (``rhel/``)."""
