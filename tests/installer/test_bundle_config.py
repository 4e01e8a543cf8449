"""What the bundle keeps and leaves out (installer/bundle/config.py), checked without a build."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from installer.bundle import config

ROOT = Path(__file__).resolve().parents[2]


def test_linux_keeps_the_display_platforms_and_input_methods_but_not_gtk_or_opengl() -> None:
    plugins = config.qt_plugins("linux", config.QT_BASE_MODULES)
    platforms = plugins["platforms"]
    assert platforms is not None
    assert {"qxcb", "qwayland", "qoffscreen", "qminimal"} <= set(platforms)
    assert not {"qeglfs", "qlinuxfb", "qvnc", "qvkkhrdisplay"} & set(platforms)
    assert plugins["platforminputcontexts"] is None  # the whole folder: compose and ibus
    assert plugins["platformthemes"] == ["qxdgdesktopportal"]  # not qgtk3
    assert plugins["imageformats"] == ["qico"]  # no jpeg, gif, pdf, svg
    assert plugins["iconengines"] == []
    for dropped in (
        "xcbglintegrations",
        "tls",
        "networkinformation",
        "sqldrivers",
        "egldeviceintegrations",
    ):
        assert dropped not in plugins


@pytest.mark.parametrize(
    ("sys_platform", "native", "style"),
    [("win32", "qwindows", "styles"), ("darwin", "qcocoa", "styles")],
)
def test_windows_and_macos_keep_their_native_platform_and_style(
    sys_platform: str, native: str, style: str
) -> None:
    plugins = config.qt_plugins(sys_platform, config.QT_BASE_MODULES)
    assert plugins["platforms"] == sorted({native, "qoffscreen", "qminimal"})
    assert plugins[style] is None
    assert "qxcb" not in (plugins["platforms"] or [])


def test_other_unixes_build_like_linux() -> None:
    assert config.qt_plugins("freebsd14", ()) == config.qt_plugins("linux", ())


def test_qtsvg_in_use_brings_the_svg_image_format_and_icon_engine() -> None:
    plugins = config.qt_plugins("linux", {*config.QT_BASE_MODULES, "QtSvg"})
    assert plugins["imageformats"] == ["qico", "qsvg"]
    assert plugins["iconengines"] == ["qsvgicon"]
    # The base allow-list itself is not changed by asking.
    assert config.qt_plugins("linux", config.QT_BASE_MODULES)["imageformats"] == ["qico"]


def test_qtprintsupport_in_use_brings_the_system_printers() -> None:
    assert (
        config.qt_plugins("linux", {*config.QT_BASE_MODULES, "QtPrintSupport"})["printsupport"]
        is None
    )  # the whole folder: CUPS
    assert "printsupport" not in config.qt_plugins("linux", config.QT_BASE_MODULES)


def test_hooks_config_hands_the_allow_list_to_the_qt_hooks() -> None:
    plugins = config.qt_plugins("linux", ())
    hooks = config.hooks_config(plugins)
    assert hooks[config.QT_HOOKS_CONFIG_KEY][config.QT_PLUGINS_SETTING] is plugins


def test_the_service_packages_are_excluded_and_fail_the_build() -> None:
    for name in ("twilio", "apscheduler", "prometheus_client"):
        assert name in config.EXCLUDES
        assert name in config.MUST_NOT_SHIP
        assert name in config.ABSENT_AT_RUN_TIME
    assert set(config.MUST_NOT_SHIP) <= set(config.EXCLUDES)
    assert {"PySide6.QtNetwork", "PySide6.QtQml"} <= set(config.ABSENT_AT_RUN_TIME)


def _imported_top_levels(package: Path) -> set[str]:
    names: set[str] = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
    return names


def test_nothing_the_app_or_the_core_imports_is_excluded() -> None:
    excluded = set(config.EXCLUDES)
    imported = _imported_top_levels(ROOT / "whoseonfirst_gui") | _imported_top_levels(
        ROOT / "whoseonfirst_core"
    )
    hit = sorted(
        name for name in imported if any(name == e or name.startswith(e + ".") for e in excluded)
    )
    assert hit == []


def test_nothing_loaded_by_name_is_excluded() -> None:
    excluded = set(config.EXCLUDES)
    assert [h for h in config.HIDDEN_IMPORTS if h in excluded] == []
    assert [p for p in config.ALL_SUBMODULES_OF if p in excluded] == []
    assert "ssl" not in excluded  # psycopg_binary imports it to set up libcrypto


def test_the_migrations_are_data_not_modules() -> None:
    assert (ROOT / config.MIGRATIONS / "env.py").is_file()
    assert all(config.MIGRATIONS.replace("/", ".").startswith(n) for n in config.NOT_AS_MODULES)


def test_the_demo_roster_is_in_a_bundled_folder() -> None:
    assert any((ROOT / folder / "demo-roster.json").is_file() for folder in config.DATA_FOLDERS)


def test_phonenumbers_data_leaves_out_the_geocoder_carrier_and_zone_tables() -> None:
    assert set(config.PACKAGE_DATA["phonenumbers"]) == {
        "**/geodata/**",
        "**/carrierdata/**",
        "**/tzdata/**",
    }
    assert {"phonenumbers.geocoder", "phonenumbers.carrier", "phonenumbers.timezone"} <= set(
        config.EXCLUDES
    )


@pytest.mark.parametrize(
    ("sys_platform", "family"),
    [("win32", "windows"), ("darwin", "macos"), ("linux", "linux"), ("freebsd14", "linux")],
)
def test_platform_family(sys_platform: str, family: str) -> None:
    assert config.platform_family(sys_platform) == family
