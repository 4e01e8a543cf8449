"""Keeping the bundle slim: the Qt plugin allow-list, Qt library pruning, the leak check.

PyInstaller's PySide6 hooks collect every plugin of each type a Qt library is associated with,
and all translations. The hooks in ``installer/hooks/`` (user hooks take precedence over
PyInstaller's own, the documented way to change what a package collects) call
:func:`qt_module_hook`, which collects the same way and then keeps only the allowed plugins and
no translations. Filtering there, before the binary dependency analysis, keeps the dependencies
of the dropped plugins out too (the GTK theme plugin alone would bring GTK, cairo, ATK...).

:func:`slim_analysis` applies the same rules again to the analysis result, should a plugin
arrive some other way, and prunes Qt libraries that only a dropped plugin needed (QtNetwork for
the TLS plugins, QtPdf for the PDF image format, QtQml for QML tooling...).

Destinations are bundle-relative paths such as ``PySide6/Qt/plugins/platforms/libqxcb.so``;
``\\`` separators (Windows) are treated like ``/``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from installer.bundle import config

#: A plugin allow-list as :func:`config.qt_plugins` returns it.
Plugins = Mapping[str, Sequence[str] | None]
#: ``(source file, destination folder)`` as hooks collect them.
Collected = tuple[str, str]
#: ``(destination path, source file, type code)`` as in an Analysis result.
TocEntry = tuple[str, str | None, str]
#: ``(name, resolved path or None)`` for each library a binary links to.
ImportsOf = Callable[[str], Iterable[tuple[str, str | None]]]


def _parts(path: str) -> list[str]:
    return path.replace("\\", "/").split("/")


def plugin_allowed(plugins: Plugins, plugin_type: str, filename: str) -> bool:
    """Whether a plugin file of this plugin directory is kept (``libqxcb.so`` → ``qxcb``)."""
    allowed = plugins.get(plugin_type, ())
    if allowed is None:
        return True
    stem = _parts(filename)[-1].split(".", 1)[0]
    return (stem[3:] if stem.startswith("lib") else stem) in allowed


def filter_qt_collection(
    plugins: Plugins, binaries: Iterable[Collected], datas: Iterable[Collected]
) -> tuple[list[Collected], list[Collected]]:
    """A Qt hook's binaries without the plugins not allowed, and its datas without the
    translations."""
    kept_binaries = [
        (src, dest)
        for src, dest in binaries
        if "plugins" not in _parts(dest) or plugin_allowed(plugins, _parts(dest)[-1], src)
    ]
    kept_datas = [(src, dest) for src, dest in datas if "translations" not in _parts(dest)]
    return kept_binaries, kept_datas


def qt_module_hook(hook_api: Any) -> None:
    """The ``hook()`` of the PySide6 module hooks in ``installer/hooks/``.

    Collects what PyInstaller's own hook for the module would (``collect_module``), minus the
    plugins the allow-list in ``hooksconfig`` leaves out and minus the translations.
    """
    from PyInstaller.utils.hooks import get_hook_config
    from PyInstaller.utils.hooks.qt import get_qt_library_info

    plugins = get_hook_config(hook_api, config.QT_HOOKS_CONFIG_KEY, config.QT_PLUGINS_SETTING)
    if plugins is None:
        raise SystemExit(
            "[whoseonfirst] the Qt hooks in installer/hooks/ need the plugin allow-list: "
            "Analysis(hooksconfig=config.hooks_config(...)), as installer/whoseonfirst.spec does"
        )
    module_name: str = hook_api.__name__
    info = get_qt_library_info(module_name.split(".", 1)[0])
    hiddenimports, binaries, datas = info.collect_module(module_name)
    binaries, datas = filter_qt_collection(plugins, binaries, datas)
    hook_api.add_imports(*hiddenimports)
    hook_api.add_binaries(binaries)
    hook_api.add_datas(datas)


def missing_qt_hooks(qt_modules: Iterable[str], hooks_dir: Path) -> list[str]:
    """The Qt modules in use that have no hook in ``hooks_dir``: PyInstaller's own hook would
    collect them with every plugin and translation."""
    return sorted(m for m in qt_modules if not (hooks_dir / f"hook-PySide6.{m}.py").is_file())


# --- After the analysis ----------------------------------------------------------------------


def plugin_kept(plugins: Plugins, dest: str) -> bool | None:
    """True/False for a Qt plugin file (by its destination path), None if not a plugin."""
    parts = _parts(dest)
    if "plugins" not in parts or not parts[0].startswith("PySide6"):
        return None
    i = parts.index("plugins")
    if len(parts) < i + 3:
        return None
    return plugin_allowed(plugins, parts[i + 1], parts[-1])


def is_translation(dest: str) -> bool:
    parts = _parts(dest)
    return parts[0].startswith("PySide6") and "translations" in parts


def is_qt_lib(dest: str) -> bool:
    """A Qt shared library (``libQt6Gui.so.6``, ``Qt6Gui.dll``, a framework), not a plugin."""
    parts = _parts(dest)
    if not parts[0].startswith("PySide6") or "plugins" in parts:
        return False
    return parts[-1].startswith(("libQt6", "Qt6")) or ".framework" in dest


@dataclass
class Slimmed:
    """The analysis result after :func:`slim_analysis`, and the destinations it dropped."""

    binaries: list[TocEntry]
    datas: list[TocEntry]
    dropped: list[str] = field(default_factory=list)


def _needed_qt_libs(
    roots: Iterable[str | None], qt_libs: Mapping[str, str], get_imports: ImportsOf
) -> set[str]:
    """The Qt libraries (lower-cased file names) in the link-time closure of ``roots``."""
    needed: set[str] = set()
    todo = list(roots)
    seen: set[str] = set()
    while todo:
        lib = todo.pop()
        if lib is None or lib in seen:
            continue
        seen.add(lib)
        try:
            imports = list(get_imports(lib))
        except Exception:  # noqa: BLE001 - a file we cannot parse keeps everything it might need
            continue
        for name, path in imports:
            base = Path(path or name).name.lower()
            if base in qt_libs and base not in needed:
                needed.add(base)
                todo.append(qt_libs[base])
    return needed


def slim_analysis(
    binaries: Sequence[TocEntry],
    datas: Sequence[TocEntry],
    plugins: Plugins,
    get_imports: ImportsOf,
) -> Slimmed:
    """Drop disallowed plugins and translations, then the Qt libraries no longer needed.

    The roots of the link-time closure are every extension module, kept plugin and non-Qt
    library; ``get_imports`` is PyInstaller's ``bindepend.get_imports``. If the closure finds no
    Qt library at all (the dependency analysis failed), no library is pruned.
    """
    result = Slimmed([], [])
    for entry in binaries:
        if plugin_kept(plugins, entry[0]) is False:
            result.dropped.append(entry[0])
        else:
            result.binaries.append(entry)
    for entry in datas:
        if is_translation(entry[0]) or plugin_kept(plugins, entry[0]) is False:
            result.dropped.append(entry[0])
        else:
            result.datas.append(entry)

    qt_libs = {
        Path(src).name.lower(): src for dest, src, _ in result.binaries if is_qt_lib(dest) and src
    }
    roots = [src for dest, src, _ in result.binaries if not is_qt_lib(dest)]
    needed = _needed_qt_libs(roots, qt_libs, get_imports)
    if qt_libs and needed:
        kept = []
        for entry in result.binaries:
            base = Path(entry[1] or "").name.lower()
            if is_qt_lib(entry[0]) and base in qt_libs and base not in needed:
                result.dropped.append(entry[0])
            else:
                kept.append(entry)
        result.binaries = kept

    # PyInstaller 6 adds top-level symlinks to relocated libraries; drop those left dangling.
    dropped = {d.replace("\\", "/") for d in result.dropped}

    def dangling(entry: TocEntry) -> bool:
        return entry[2] == "SYMLINK" and (entry[1] or "").replace("\\", "/") in dropped

    result.binaries = [e for e in result.binaries if not dangling(e)]
    result.datas = [e for e in result.datas if not dangling(e)]
    return result


def leaked_modules(module_names: Iterable[str], forbidden: Iterable[str]) -> list[str]:
    """The bundled modules (``a.pure`` names) whose top-level package is forbidden."""
    banned = set(forbidden)
    return sorted({name for name in module_names if name.split(".")[0] in banned})
