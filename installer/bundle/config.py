"""What the admin app bundle holds and what it leaves out, and why each choice is safe.

Pure data (plus two small functions over it): the spec, the hooks and the bundle's self-test
read it; nothing here imports PyInstaller.

* **Qt**: only the PySide6 modules the app imports — QtCore/QtGui/QtWidgets plus every
  ``PySide6.QtXxx`` named under ``whoseonfirst_gui/`` (found at build time). Every other PySide6
  module is excluded, and Qt plugins are kept from an allow-list per platform
  (:func:`qt_plugins`): the display platforms, input methods, the .ico image format. No QML
  tooling, TLS/network, SQL driver, print, designer or touch-input plugins, no OpenGL
  integrations (the app draws with Qt's raster engine: no QOpenGLWidget, no Qt Quick), no
  JPEG/GIF readers (the app ships no such images) and no Qt translations (the app is
  English-only). Qt libraries only a dropped plugin needed are pruned afterwards.
* **Python** (:data:`EXCLUDES`): no tkinter, unittest, test suites, pydoc, lib2to3, ensurepip,
  distutils/setuptools/pip. ``ssl`` and its libssl/libcrypto stay although the app makes no TLS
  connection from Python: psycopg_binary imports ``ssl`` to set up libcrypto, and the self-test
  catches its absence. None of the service's packages (:data:`SERVICE_ONLY`): the GUI and the
  core never import them (an import-linter contract), and the build fails if they get in.
* **Loaded at run time by name or from files** (:data:`HIDDEN_IMPORTS`, :data:`DATA_FOLDERS`):
  the Alembic migration scripts as data (Alembic imports them from the file system; their own
  imports become hidden imports), tzdata (Windows has no zone database), phonenumbers' region
  metadata (not the big geocoder/carrier/time-zone tables), the core's ``resources/`` (the demo
  roster), keyring backends (chosen by entry point) and the SQLAlchemy sqlite + psycopg dialects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

APP_NAME = "whoseonfirst"
MAC_APP_NAME = "WhoseOnFirst.app"
MAC_BUNDLE_ID = "org.whoseonfirst.admin"

#: ``WHOSEONFIRST_BUNDLE_SELFTEST=1`` makes the bundle run its self-test instead of the app.
SELFTEST_ENV = "WHOSEONFIRST_BUNDLE_SELFTEST"

#: The version stamp, next to the executable and inside ``_internal/``.
BUILD_INFO_NAME = "build_info.json"

# --- Qt --------------------------------------------------------------------------------------

#: Always bundled; the Qt modules ``whoseonfirst_gui/`` names are added at build time.
QT_BASE_MODULES = frozenset({"QtCore", "QtGui", "QtWidgets"})

#: Plugins kept, by plugin directory: a set of file-name stems (``lib`` prefix and suffixes
#: stripped), or None for the whole directory. A directory not listed is dropped.
PluginAllowList = Mapping[str, frozenset[str] | None]

_WINDOWS_PLUGINS: PluginAllowList = {
    "platforms": frozenset({"qwindows", "qoffscreen", "qminimal"}),
    "styles": None,  # qmodernwindowsstyle: the native look
    "imageformats": frozenset({"qico"}),
    "iconengines": frozenset(),
}
_MACOS_PLUGINS: PluginAllowList = {
    "platforms": frozenset({"qcocoa", "qoffscreen", "qminimal"}),
    "styles": None,  # qmacstyle: the native look
    "imageformats": frozenset({"qico", "qicns"}),
    "iconengines": frozenset(),
}
_LINUX_PLUGINS: PluginAllowList = {
    # X11, Wayland, and offscreen (screenshots, CI). Wayland costs about 1.7 MB.
    "platforms": frozenset(
        {"qxcb", "qoffscreen", "qminimal", "qwayland", "qwayland-egl", "qwayland-generic"}
    ),
    # No xcbglintegrations / wayland-graphics-integration-client: OpenGL only.
    "wayland-decoration-client": None,
    "wayland-shell-integration": None,
    "platforminputcontexts": None,  # compose (dead keys) and ibus
    "platformthemes": frozenset({"qxdgdesktopportal"}),  # not qgtk3: it would drag GTK in
    "imageformats": frozenset({"qico"}),
    "iconengines": frozenset(),
}


def platform_family(sys_platform: str) -> str:
    """``windows``, ``macos`` or ``linux`` (every other Unix builds like Linux)."""
    if sys_platform == "win32":
        return "windows"
    if sys_platform == "darwin":
        return "macos"
    return "linux"


def qt_plugins(sys_platform: str, qt_modules: Iterable[str]) -> dict[str, list[str] | None]:
    """The plugin allow-list for this platform and these Qt modules.

    Lists rather than sets, sorted, so the result can go into PyInstaller's ``hooksconfig``
    (compared between builds) as it is.
    """
    base = {
        "windows": _WINDOWS_PLUGINS,
        "macos": _MACOS_PLUGINS,
        "linux": _LINUX_PLUGINS,
    }[platform_family(sys_platform)]
    plugins = dict(base)
    if "QtSvg" in set(qt_modules):
        plugins["imageformats"] = (plugins["imageformats"] or frozenset()) | {"qsvg"}
        plugins["iconengines"] = frozenset({"qsvgicon"})
    if "QtPrintSupport" in set(qt_modules):
        # File ▸ Print…: the printers of the system (CUPS on Linux); PDF needs no plugin.
        plugins["printsupport"] = None
    return {k: None if v is None else sorted(v) for k, v in plugins.items()}


#: Where the Qt hooks in ``installer/hooks/`` read their allow-list in ``hooksconfig``.
QT_HOOKS_CONFIG_KEY = "whoseonfirst"
QT_PLUGINS_SETTING = "qt_plugins"


def hooks_config(plugins: dict[str, list[str] | None]) -> dict[str, dict[str, object]]:
    """The Analysis ``hooksconfig`` that hands ``plugins`` to the Qt hooks."""
    return {QT_HOOKS_CONFIG_KEY: {QT_PLUGINS_SETTING: plugins}}


# --- Python modules --------------------------------------------------------------------------

#: The service's packages: never imported by the GUI or the core.
SERVICE_ONLY = ("twilio", "apscheduler", "prometheus_client")

#: Top-level modules whose presence in the bundle fails the build.
MUST_NOT_SHIP = (*SERVICE_ONLY, "tkinter", "unittest")

#: What the self-test checks is *not* importable inside the bundle.
ABSENT_AT_RUN_TIME = (*MUST_NOT_SHIP, "PySide6.QtNetwork", "PySide6.QtQml", "PySide6.QtOpenGL")

#: Excluded from the analysis (the unused PySide6 modules are added at build time).
EXCLUDES = (
    *SERVICE_ONLY,
    "aiohttp",
    "requests",
    # Stdlib and tooling the app does not need.
    "tkinter",
    "_tkinter",
    "turtle",
    "turtledemo",
    "idlelib",
    "unittest",
    "test",
    "tests",
    "doctest",
    "pydoc",
    "pydoc_data",
    "lib2to3",
    "ensurepip",
    "venv",
    "distutils",
    "setuptools",
    "pkg_resources",
    "pip",
    "wheel",
    "xmlrpc",
    "curses",
    "pdb",
    "IPython",
    "pytest",
    "_pytest",
    "hypothesis",
    "pytest_qt",
    "pytestqt",
    "pytest_postgresql",
    "numpy",
    "PIL",
    "matplotlib",
    # pydantic's hook collects its mypy plugin, which drags in mypy itself.
    "pydantic.mypy",
    "pydantic.v1.mypy",
    "mypy",
    "mypy_extensions",
    "ast_serialize",
    # SQLAlchemy's asyncio support (the app uses the synchronous API only).
    "greenlet",
    "sqlalchemy.ext.asyncio",
    # Optional pretty-printing/highlighting (pydantic debug helpers, Mako's Pygments plugin).
    "rich",
    "pygments",
    "markdown_it",
    "mdurl",
    "attr",
    "mako.ext",
    "mako.testing",
    # SQLAlchemy: only sqlite and postgresql (psycopg 3) are supported.
    "sqlalchemy.dialects.mssql",
    "sqlalchemy.dialects.mysql",
    "sqlalchemy.dialects.oracle",
    "sqlalchemy.testing",
    "MySQLdb",
    "pysqlite2",
    "psycopg2",
    "asyncpg",
    "pg8000",
    "alembic.testing",
    # phonenumbers: only the metadata tables are used, not geocoding/carrier/time-zone lookups.
    "phonenumbers.geocoder",
    "phonenumbers.geodata",
    "phonenumbers.carrier",
    "phonenumbers.carrierdata",
    "phonenumbers.timezone",
    "phonenumbers.tzdata",
    # Other Qt bindings must never be mixed in.
    "PyQt5",
    "PyQt6",
    "PySide2",
)

#: Imported by name at run time, so the analysis cannot see them.
HIDDEN_IMPORTS = (
    # Alembic: the parts the migration scripts and ``db.session`` reach at run time.
    "alembic",
    "alembic.op",
    "alembic.context",
    "alembic.ddl.sqlite",
    "alembic.ddl.postgresql",
    "alembic.runtime.migration",
    "alembic.script",
    # SQLAlchemy dialects picked by URL at run time.
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.sqlite.pysqlite",
    "sqlalchemy.dialects.postgresql",
    "sqlalchemy.dialects.postgresql.psycopg",
    "sqlalchemy.sql.default_comparator",
    "sqlite3",
    "psycopg",
    "psycopg_binary",
    "psycopg_binary.pq",
    "psycopg_binary._psycopg",
    # The IANA zone database (Windows has none of its own).
    "tzdata",
    "zoneinfo",
)

#: Packages bundled with every submodule: the app's own code (in case a page or dialog is
#: imported by name) and keyring's backends (picked at run time through entry points).
#: phonenumbers' region tables come from ``installer/hooks/hook-phonenumbers.py``.
ALL_SUBMODULES_OF = ("whoseonfirst_gui", "whoseonfirst_core", "keyring.backends")

#: Left out of :data:`ALL_SUBMODULES_OF`: the migration scripts are bundled as data instead.
NOT_AS_MODULES = ("whoseonfirst_core.db.migrations",)

# --- Data files ------------------------------------------------------------------------------

#: Alembic imports ``env.py`` and ``versions/*.py`` from this folder (relative to the repository
#: and inside the bundle alike).
MIGRATIONS = "whoseonfirst_core/db/migrations"

#: Folders of files the app reads, bundled at the same relative path where they exist.
DATA_FOLDERS = ("resources", "whoseonfirst_gui/resources", "whoseonfirst_core/resources")

#: Packages whose data files are bundled, with the glob patterns left out.
PACKAGE_DATA: Mapping[str, tuple[str, ...]] = {
    "tzdata": (),
    "phonenumbers": ("**/geodata/**", "**/carrierdata/**", "**/tzdata/**"),
}

#: Distributions whose metadata ``importlib.metadata`` reads at run time.
METADATA_OF = ("whoseonfirst", "keyring")

#: Icon files looked for under ``resources/``, the first match per platform wins.
ICON_CANDIDATES = (
    "whoseonfirst.ico",
    "whoseonfirst.icns",
    "icons/whoseonfirst.ico",
    "icons/whoseonfirst.icns",
)
ICON_SUFFIX = {"windows": ".ico", "macos": ".icns"}
