"""The installable package lists every Python package in the tree (the list is explicit
because the service folder installs under another name)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_folder_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    mapping = config["package-dir"]
    found: set[str] = set()
    for name, folder in mapping.items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base)
            found.add(".".join([name, *rel.parts]) if rel.parts else name)
    assert found == listed, f"missing: {sorted(found - listed)}, stale: {sorted(listed - found)}"


def test_no_bare_service_module_is_installed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert not any(p == "service" or p.startswith("service.") for p in config["packages"])


def test_the_bundle_build_modules_are_not_installed() -> None:
    """installer/ is build tooling run from a checkout (and ``installer`` is another project's
    name on PyPI): it never lands in site-packages."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert not any(p == "installer" or p.startswith("installer.") for p in config["packages"])
    assert "installer" not in config["package-dir"]


def test_the_demo_roster_is_package_data_of_the_core() -> None:
    """The demo team ships inside the core package, so it is found from a wheel and from the
    bundle alike (``importlib.resources``): every data file of the core is package data."""
    from fnmatch import fnmatch

    from whoseonfirst_core.roster import demo_roster

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = config["package-data"]["whoseonfirst_core"]
    core = ROOT / "whoseonfirst_core"
    data = [
        p.relative_to(core).as_posix()
        for p in core.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc")
    ]
    assert "resources/demo-roster.json" in data
    assert [f for f in data if not any(fnmatch(f, pat) for pat in patterns)] == []
    assert demo_roster()["team"]["name"] == "Support (demo)"
    assert not (ROOT / "resources" / "demo-roster.json").exists()  # one copy
