"""The admin app as a PyInstaller one-folder bundle.

``installer/whoseonfirst.spec`` is glue over these modules:

* :mod:`.config` — what the bundle holds and leaves out (pure data, no PyInstaller);
* :mod:`.helpers` — build-time collection: Qt modules used, hidden imports, data files,
  the version stamp, the icon;
* :mod:`.slimming` — the Qt plugin allow-list applied by the hooks in ``installer/hooks/``
  and again on the analysis result, pruning of Qt libraries only a dropped plugin needed, and
  the check that nothing the app must not ship got in;
* :mod:`.launcher` — the bundle's entry script (the app, or the self-test);
* :mod:`.selftest` — the checks run inside the frozen app by ``installer/build_app.py``.

Only :mod:`.launcher`, :mod:`.selftest` and :mod:`.config` are part of the bundle itself; the
build-time modules import PyInstaller lazily, so every module imports without it.
"""
