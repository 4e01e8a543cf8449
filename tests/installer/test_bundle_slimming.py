"""The Qt plugin allow-list, Qt library pruning and the leak check
(installer/bundle/slimming.py), on hand-made collections: no PyInstaller build."""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from installer.bundle import config, helpers, slimming

ROOT = Path(__file__).resolve().parents[2]
HOOKS = ROOT / "installer" / "hooks"
LINUX = config.qt_plugins("linux", config.QT_BASE_MODULES)
QT = "PySide6/Qt"
PLUGINS = f"{QT}/plugins"


@pytest.mark.parametrize(
    ("plugin_type", "filename", "kept"),
    [
        ("platforms", "libqxcb.so", True),
        ("platforms", "/venv/PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
        ("platforms", "libqeglfs.so", False),
        ("platforms", "qwindows.dll", False),  # not on Linux
        ("platformthemes", "libqgtk3.so", False),  # would bring GTK
        ("platformthemes", "libqxdgdesktopportal.so", True),
        ("platforminputcontexts", "libanything.so", True),  # the whole folder
        ("imageformats", "libqjpeg.so", False),
        ("imageformats", "libqico.so", True),
        ("tls", "libqopensslbackend.so", False),  # a folder not listed
        ("xcbglintegrations", "libqxcb-glx-integration.so", False),
    ],
)
def test_plugin_allowed_on_linux(plugin_type: str, filename: str, kept: bool) -> None:
    assert slimming.plugin_allowed(LINUX, plugin_type, filename) is kept


def test_windows_paths_and_dll_names() -> None:
    windows = config.qt_plugins("win32", config.QT_BASE_MODULES)
    assert slimming.plugin_allowed(
        windows, "platforms", r"C:\venv\PySide6\plugins\platforms\qwindows.dll"
    )
    assert not slimming.plugin_allowed(windows, "platforms", "qdirect2d.dll")
    assert slimming.plugin_kept(windows, r"PySide6\plugins\platforms\qwindows.dll") is True
    assert slimming.plugin_kept(windows, r"PySide6\plugins\sqldrivers\qsqlite.dll") is False


def test_filter_qt_collection_drops_plugins_not_allowed_and_every_translation() -> None:
    binaries = [
        ("/v/plugins/platforms/libqxcb.so", f"{PLUGINS}/platforms"),
        ("/v/plugins/platforms/libqvnc.so", f"{PLUGINS}/platforms"),
        ("/v/plugins/platformthemes/libqgtk3.so", f"{PLUGINS}/platformthemes"),
        ("/v/plugins/tls/libqopensslbackend.so", f"{PLUGINS}/tls"),
        ("/v/lib/libQt6Gui.so.6", f"{QT}/lib"),
    ]
    datas = [
        ("/v/translations/qtbase_de.qm", f"{QT}/translations"),
        ("/v/other/readme.txt", f"{QT}/other"),
    ]
    kept_binaries, kept_datas = slimming.filter_qt_collection(LINUX, binaries, datas)
    assert kept_binaries == [binaries[0], binaries[4]]
    assert kept_datas == [datas[1]]


def test_plugin_kept_and_the_other_path_rules() -> None:
    assert slimming.plugin_kept(LINUX, f"{PLUGINS}/platforms/libqxcb.so") is True
    assert slimming.plugin_kept(LINUX, f"{PLUGINS}/imageformats/libqpdf.so") is False
    assert slimming.plugin_kept(LINUX, f"{QT}/lib/libQt6Gui.so.6") is None  # not a plugin
    assert slimming.plugin_kept(LINUX, f"{PLUGINS}/README") is None  # no plugin folder
    assert slimming.plugin_kept(LINUX, "otherpkg/plugins/x/libqvnc.so") is None  # not Qt's
    assert slimming.is_translation(f"{QT}/translations/qtbase_fr.qm")
    assert not slimming.is_translation("babel/translations/fr.mo")
    assert slimming.is_qt_lib(f"{QT}/lib/libQt6Network.so.6")
    assert slimming.is_qt_lib("PySide6/Qt6Gui.dll")
    assert slimming.is_qt_lib("PySide6/Qt/lib/QtGui.framework/Versions/A/QtGui")
    assert not slimming.is_qt_lib(f"{PLUGINS}/platforms/libqxcb.so")
    assert not slimming.is_qt_lib("libQt6Core.so.6")  # outside PySide6: not ours to prune


def _toc(*entries: tuple[str, str | None, str]) -> list[tuple[str, str | None, str]]:
    return list(entries)


def _fake_imports(graph: dict[str, list[str]]) -> Any:
    def get_imports(lib: str) -> Iterable[tuple[str, str | None]]:
        if lib.endswith("broken.so"):
            raise ValueError("not an ELF file")
        return [(Path(dep).name, dep) for dep in graph.get(lib, [])]

    return get_imports


def test_slim_analysis_prunes_qt_libraries_only_a_dropped_plugin_needed() -> None:
    binaries = _toc(
        ("PySide6/QtWidgets.abi3.so", "/v/QtWidgets.abi3.so", "EXTENSION"),
        (f"{PLUGINS}/platforms/libqxcb.so", "/v/plugins/libqxcb.so", "BINARY"),
        (f"{PLUGINS}/tls/libqopensslbackend.so", "/v/plugins/libqopensslbackend.so", "BINARY"),
        (f"{QT}/lib/libQt6Widgets.so.6", "/v/lib/libQt6Widgets.so.6", "BINARY"),
        (f"{QT}/lib/libQt6Gui.so.6", "/v/lib/libQt6Gui.so.6", "BINARY"),
        (f"{QT}/lib/libQt6XcbQpa.so.6", "/v/lib/libQt6XcbQpa.so.6", "BINARY"),
        (f"{QT}/lib/libQt6Network.so.6", "/v/lib/libQt6Network.so.6", "BINARY"),
        ("libssl.so.3", "/usr/lib/libssl.so.3", "BINARY"),
        ("libQt6Network.so.6", f"{QT}/lib/libQt6Network.so.6", "SYMLINK"),
        ("libQt6Gui.so.6", f"{QT}/lib/libQt6Gui.so.6", "SYMLINK"),
    )
    datas = _toc(
        (f"{QT}/translations/qtbase_de.qm", "/v/translations/qtbase_de.qm", "DATA"),
        ("whoseonfirst_core/db/migrations/env.py", "/src/env.py", "DATA"),
    )
    graph = {
        "/v/QtWidgets.abi3.so": ["/v/lib/libQt6Widgets.so.6"],
        "/v/lib/libQt6Widgets.so.6": ["/v/lib/libQt6Gui.so.6"],
        "/v/plugins/libqxcb.so": ["/v/lib/libQt6XcbQpa.so.6"],
        "/v/plugins/libqopensslbackend.so": ["/v/lib/libQt6Network.so.6"],
    }
    slim = slimming.slim_analysis(binaries, datas, LINUX, _fake_imports(graph))
    kept = [dest for dest, _, _ in slim.binaries]
    assert kept == [
        "PySide6/QtWidgets.abi3.so",
        f"{PLUGINS}/platforms/libqxcb.so",
        f"{QT}/lib/libQt6Widgets.so.6",
        f"{QT}/lib/libQt6Gui.so.6",
        f"{QT}/lib/libQt6XcbQpa.so.6",
        "libssl.so.3",
        "libQt6Gui.so.6",  # its symlink stays with it
    ]
    assert sorted(slim.dropped) == sorted(
        [
            f"{PLUGINS}/tls/libqopensslbackend.so",
            f"{QT}/translations/qtbase_de.qm",
            f"{QT}/lib/libQt6Network.so.6",
        ]
    )
    assert [dest for dest, _, _ in slim.datas] == ["whoseonfirst_core/db/migrations/env.py"]


def test_slim_analysis_prunes_nothing_when_the_dependency_analysis_finds_nothing() -> None:
    binaries = _toc(
        ("PySide6/QtCore.abi3.so", "/v/broken.so", "EXTENSION"),
        (f"{QT}/lib/libQt6Core.so.6", "/v/lib/libQt6Core.so.6", "BINARY"),
        (f"{QT}/lib/libQt6Network.so.6", "/v/lib/libQt6Network.so.6", "BINARY"),
    )
    slim = slimming.slim_analysis(binaries, [], LINUX, _fake_imports({}))
    assert slim.binaries == binaries
    assert slim.dropped == []


def test_leaked_modules_match_by_top_level_package() -> None:
    pure = ["json", "twilio", "twilio.rest", "apscheduler.schedulers", "unittestish", "tkinter"]
    assert slimming.leaked_modules(pure, config.MUST_NOT_SHIP) == [
        "apscheduler.schedulers",
        "tkinter",
        "twilio",
        "twilio.rest",
    ]
    assert slimming.leaked_modules(["json", "sqlalchemy.orm"], config.MUST_NOT_SHIP) == []


# --- The hooks -------------------------------------------------------------------------------


def test_every_qt_module_in_use_has_a_hook() -> None:
    """Without one, PyInstaller's own hook would bundle every plugin and translation (the
    spec refuses to build)."""
    used = helpers.qt_modules_used(ROOT / "whoseonfirst_gui")
    assert slimming.missing_qt_hooks(used, HOOKS) == []
    assert slimming.missing_qt_hooks({*used, "QtSvg"}, HOOKS) == ["QtSvg"]


def _load_hook(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"hook_{path.stem.replace('.', '_')}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", sorted(HOOKS.glob("hook-PySide6.*.py")), ids=lambda p: p.name)
def test_each_qt_hook_is_the_shared_hook(path: Path) -> None:
    assert _load_hook(path).hook is slimming.qt_module_hook


class FakeHookApi:
    def __init__(self, name: str, hooksconfig: dict[str, Any]) -> None:
        self.__name__ = name
        self.analysis = type("Analysis", (), {"hooksconfig": hooksconfig})()
        self.imports: list[str] = []
        self.binaries: list[tuple[str, str]] = []
        self.datas: list[tuple[str, str]] = []

    def add_imports(self, *names: str) -> None:
        self.imports.extend(names)

    def add_binaries(self, binaries: list[tuple[str, str]]) -> None:
        self.binaries.extend(binaries)

    def add_datas(self, datas: list[tuple[str, str]]) -> None:
        self.datas.extend(datas)


def test_qt_module_hook_collects_like_pyinstaller_then_filters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("PyInstaller", reason="needs the dev extra: pip install -e '.[dev]'")
    from PyInstaller.utils.hooks import qt

    asked: list[tuple[str, str]] = []

    class Info:
        def __init__(self, namespace: str) -> None:
            self.namespace = namespace

        def collect_module(self, module_name: str) -> tuple[list[str], list[Any], list[Any]]:
            asked.append((self.namespace, module_name))
            return (
                ["PySide6.QtCore", "PySide6.QtDBus"],
                [
                    ("/v/libqxcb.so", f"{PLUGINS}/platforms"),
                    ("/v/libqgtk3.so", f"{PLUGINS}/platformthemes"),
                ],
                [("/v/qtbase_de.qm", f"{QT}/translations")],
            )

    monkeypatch.setattr(qt, "get_qt_library_info", Info)
    api = FakeHookApi("PySide6.QtGui", config.hooks_config(LINUX))
    slimming.qt_module_hook(api)
    assert asked == [("PySide6", "PySide6.QtGui")]
    assert api.imports == ["PySide6.QtCore", "PySide6.QtDBus"]
    assert api.binaries == [("/v/libqxcb.so", f"{PLUGINS}/platforms")]
    assert api.datas == []


def test_qt_module_hook_refuses_to_run_without_the_allow_list() -> None:
    pytest.importorskip("PyInstaller", reason="needs the dev extra: pip install -e '.[dev]'")
    with pytest.raises(SystemExit, match="plugin allow-list"):
        slimming.qt_module_hook(FakeHookApi("PySide6.QtGui", {}))


def test_the_phonenumbers_hook_collects_only_the_region_metadata() -> None:
    pytest.importorskip("PyInstaller", reason="needs the dev extra: pip install -e '.[dev]'")
    hidden = _load_hook(HOOKS / "hook-phonenumbers.py").hiddenimports
    assert "phonenumbers.data.region_GB" in hidden
    assert "phonenumbers.shortdata.region_GB" in hidden
    assert not [
        h for h in hidden if h.startswith(("phonenumbers.geodata", "phonenumbers.carrierdata"))
    ]


def test_the_spec_is_glue_that_compiles() -> None:
    """The logic lives in installer/bundle/, where it is linted and tested; the spec only wires
    it to PyInstaller (one small logging function at most, no classes)."""
    source = (ROOT / "installer" / "whoseonfirst.spec").read_text(encoding="utf-8")
    tree = ast.parse(compile(source, "whoseonfirst.spec", "exec", ast.PyCF_ONLY_AST))
    defs = [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    assert defs == ["log"]
    assert "from installer.bundle import" in source
