"""RHEL packaging in installer/rhel/: the systemd unit, the environment example, the install script,
the Containerfile and its entrypoint.

The unit is checked by systemd's own parser (`systemd-analyze verify` and `security --offline`).
CI must have it (Debian package `systemd`); elsewhere those tests skip with the reason.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RHEL = REPO / "installer" / "rhel"
UNIT = RHEL / "whoseonfirst-service.service"
ENV_EXAMPLE = RHEL / "service.env.example"
INSTALL_SH = RHEL / "install.sh"
CONTAINERFILE = RHEL / "Containerfile"
ENTRYPOINT = RHEL / "container-entrypoint.sh"

INSTALLED_EXECUTABLE = "/opt/whoseonfirst/venv/bin/whoseonfirst-service"
# Every setting of the service (SPEC §5); the env example must explain each one.
SETTINGS = (
    "WHOSEONFIRST_DATABASE_URL",
    "WHOSEONFIRST_DATABASE_URL_FILE",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_AUTH_TOKEN_FILE",
    "TWILIO_FROM_NUMBER",
    "TWILIO_MESSAGING_SERVICE_SID",
    "WHOSEONFIRST_TWILIO_API_URL",
    "WHOSEONFIRST_HTTP",
    "WHOSEONFIRST_LOG_FORMAT",
    "WHOSEONFIRST_SMS_BACKEND",
)


def parse_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """Sections -> key -> every value assigned, in order (systemd keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        assert not line.endswith("\\"), f"continuation lines make the unit hard to read: {line}"
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"assignment outside a section: {line}"
        key, sep, value = line.partition("=")
        assert sep, f"not a key=value line: {line}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def service_section() -> dict[str, list[str]]:
    return parse_unit(UNIT.read_text())["Service"]


# --- the unit, through systemd's parser -----------------------------------------------------------


def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(
                "CI must check the unit: install systemd-analyze (Debian: apt-get install systemd)"
            )
        pytest.skip("systemd-analyze is not installed (Debian: apt-get install systemd)")
    return found


def unit_with_stub_executable(tmp_path: Path, text: str) -> Path:
    """Copy of the unit whose commands point at a stub: verify checks that they exist."""
    stub = tmp_path / "whoseonfirst-service"
    stub.write_text("#!/bin/sh\nexit 0\n")
    stub.chmod(0o755)
    assert INSTALLED_EXECUTABLE in text
    unit = tmp_path / UNIT.name
    unit.write_text(text.replace(INSTALLED_EXECUTABLE, str(stub)))
    return unit


def verify_problems(tmp_path: Path, text: str) -> list[str]:
    """What `systemd-analyze verify` reports about the unit; it exits 0 even for unknown keys and
    bad values, so its messages about the unit count as failures too."""
    unit = unit_with_stub_executable(tmp_path, text)
    result = subprocess.run(
        [systemd_analyze(), "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        check=False,
    )
    problems = [line for line in result.stderr.splitlines() if UNIT.name in line]
    if result.returncode != 0:
        problems.append(f"exit status {result.returncode}: {result.stderr.strip()}")
    return problems


def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    assert verify_problems(tmp_path, UNIT.read_text()) == []


def test_verify_check_catches_a_misspelt_directive(tmp_path: Path) -> None:
    broken = UNIT.read_text().replace("ProtectSystem=strict", "ProtectSystm=strict")
    problems = verify_problems(tmp_path, broken)
    assert any("ProtectSystm" in line for line in problems), problems


def test_unit_exposure_stays_low(tmp_path: Path) -> None:
    unit = unit_with_stub_executable(tmp_path, UNIT.read_text())
    # --threshold is 10x the exposure score systemd prints (0.0 safest .. 10.0 unsafe).
    result = subprocess.run(
        [
            systemd_analyze(),
            "security",
            "--offline=yes",
            "--threshold=20",
            "--no-pager",
            str(unit),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- the unit, directive by directive --------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("Type", "notify"),
        ("NotifyAccess", "main"),
        ("WatchdogSec", "90"),
        ("Restart", "on-failure"),
        ("TimeoutStopSec", "30"),
        ("KillSignal", "SIGTERM"),
        ("User", "whoseonfirst"),
        ("Group", "whoseonfirst"),
        ("StateDirectory", "whoseonfirst"),
        ("StateDirectoryMode", "0700"),
        ("UMask", "0077"),
        ("EnvironmentFile", "-/etc/whoseonfirst/service.env"),
        ("ExecStartPre", f"{INSTALLED_EXECUTABLE} db upgrade"),
        ("ExecStart", f"{INSTALLED_EXECUTABLE} run"),
        (
            "LoadCredential",
            "twilio_auth_token:/etc/whoseonfirst/credentials/twilio_auth_token",
        ),
        ("NoNewPrivileges", "yes"),
        ("CapabilityBoundingSet", ""),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectKernelLogs", "yes"),
        ("ProtectControlGroups", "yes"),
        ("RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"),
        ("RestrictNamespaces", "yes"),
        ("LockPersonality", "yes"),
        ("MemoryDenyWriteExecute", "yes"),
        ("SystemCallArchitectures", "native"),
    ],
)
def test_unit_sets(key: str, value: str) -> None:
    assert service_section().get(key) == [value]


def test_unit_feeds_secrets_through_credentials_only() -> None:
    assignments = service_section()["Environment"]
    environment = dict(assignment.split("=", 1) for assignment in assignments)
    assert environment["TWILIO_AUTH_TOKEN_FILE"] == "%d/twilio_auth_token"
    assert (
        environment["WHOSEONFIRST_DATABASE_URL"]
        == "sqlite:////var/lib/whoseonfirst/whoseonfirst.db"
    )
    assert "TWILIO_AUTH_TOKEN" not in environment


# --- the environment example -----------------------------------------------------------------------


def test_env_example_explains_every_setting() -> None:
    text = ENV_EXAMPLE.read_text()
    missing = [name for name in SETTINGS if not re.search(rf"\b{name}\b", text)]
    assert missing == []


def test_env_example_sets_only_the_database_and_no_secret() -> None:
    text = ENV_EXAMPLE.read_text()
    active = [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    assert active == ["WHOSEONFIRST_DATABASE_URL=sqlite:////var/lib/whoseonfirst/whoseonfirst.db"]
    assert "/etc/whoseonfirst/credentials/twilio_auth_token" in text


# --- install.sh ----------------------------------------------------------------------------------


def run_install(root: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["bash", str(INSTALL_SH), "--root", str(root), "--no-venv"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def tree(root: Path) -> dict[str, tuple[int, bytes | None]]:
    """Relative path -> (permission bits, file content or None for a directory)."""
    snapshot: dict[str, tuple[int, bytes | None]] = {}
    for path in sorted(root.rglob("*")):
        mode = stat.S_IMODE(path.lstat().st_mode)
        snapshot[str(path.relative_to(root))] = (
            mode,
            None if path.is_dir() else path.read_bytes(),
        )
    return snapshot


def test_install_script_is_executable() -> None:
    assert os.access(INSTALL_SH, os.X_OK)


def test_install_into_a_root_twice_gives_the_same_tree(tmp_path: Path) -> None:
    root = tmp_path / "root"
    first = run_install(root)
    after_first = tree(root)
    run_install(root)

    assert tree(root) == after_first
    expected = {
        "opt/whoseonfirst": 0o755,
        "etc/whoseonfirst": 0o755,
        "etc/whoseonfirst/credentials": 0o700,
        "var/lib/whoseonfirst": 0o700,
        "etc/whoseonfirst/service.env": 0o640,
        "etc/systemd/system/whoseonfirst-service.service": 0o644,
    }
    assert {path: after_first[path][0] for path in expected} == expected
    assert after_first["etc/whoseonfirst/service.env"][1] == ENV_EXAMPLE.read_bytes()
    assert after_first["etc/systemd/system/whoseonfirst-service.service"][1] == UNIT.read_bytes()
    # Not the real root: system changes are shown, not made.
    assert "would run: useradd --system" in first.stdout
    assert "would run: systemctl daemon-reload" in first.stdout


def test_reinstall_keeps_operator_settings_and_refreshes_the_unit(
    tmp_path: Path,
) -> None:
    root = tmp_path / "root"
    run_install(root)
    settings = root / "etc/whoseonfirst/service.env"
    settings.write_text("WHOSEONFIRST_LOG_FORMAT=text\n")
    installed_unit = root / "etc/systemd/system/whoseonfirst-service.service"
    installed_unit.write_text("[Service]\nExecStart=/bin/false\n")
    (root / "var/lib/whoseonfirst").chmod(0o755)

    result = run_install(root)

    assert settings.read_text() == "WHOSEONFIRST_LOG_FORMAT=text\n"
    assert "keeping existing /etc/whoseonfirst/service.env" in result.stdout
    assert installed_unit.read_bytes() == UNIT.read_bytes()
    assert stat.S_IMODE((root / "var/lib/whoseonfirst").stat().st_mode) == 0o700


def test_install_rejects_an_unknown_option(tmp_path: Path) -> None:
    result = subprocess.run(
        ["bash", str(INSTALL_SH), "--root", str(tmp_path), "--no-venv", "--bogus"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "unknown option: --bogus" in result.stderr
    assert not (tmp_path / "etc").exists()


# --- Containerfile and entrypoint ------------------------------------------------------------------


def containerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    logical = re.sub(r"\\\n", " ", CONTAINERFILE.read_text())
    instructions = []
    for line in logical.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            instructions.append((word.upper(), rest.strip()))
    return instructions


def test_containerfile_builds_on_ubi9_python312_and_runs_unprivileged() -> None:
    instructions = containerfile_instructions()
    assert instructions[0] == ("FROM", "registry.access.redhat.com/ubi9/python-312")
    users = [args for word, args in instructions if word == "USER"]
    assert users, "no USER instruction"
    assert users[-1].split(":")[0] not in {"0", "root"}
    assert ("VOLUME", "/data") in instructions
    assert ("EXPOSE", "8787") in instructions
    env = " ".join(args for word, args in instructions if word == "ENV")
    assert "WHOSEONFIRST_DATABASE_URL=sqlite:////data/whoseonfirst.db" in env
    assert "WHOSEONFIRST_HTTP=0.0.0.0:8787" in env


def test_containerfile_copies_only_paths_that_exist() -> None:
    for word, args in containerfile_instructions():
        if word == "COPY":
            sources = [part for part in shlex.split(args) if not part.startswith("--")][:-1]
            for source in sources:
                assert (REPO / source).exists(), (
                    f"COPY source missing from the repository: {source}"
                )


def test_containerfile_health_check_asks_healthz() -> None:
    (health,) = [args for word, args in containerfile_instructions() if word == "HEALTHCHECK"]
    command = shlex.split(health.split(" CMD ", 1)[1])
    assert command[:2] == ["python", "-c"]
    assert "http://127.0.0.1:8787/healthz" in command[2]
    compile(command[2], "<healthcheck>", "exec")


@pytest.fixture
def fake_service(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A `whoseonfirst-service` on PATH that records its arguments, one call per line."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    fake = bin_dir / "whoseonfirst-service"
    fake.write_text(f'#!/bin/sh\necho "$*" >> {shlex.quote(str(calls))}\n')
    fake.chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "WHOSEONFIRST_DATABASE_URL": f"sqlite:///{tmp_path}/data/whoseonfirst.db",
    }
    (tmp_path / "data").mkdir()
    return calls, env


def test_entrypoint_migrates_then_runs(
    tmp_path: Path, fake_service: tuple[Path, dict[str, str]]
) -> None:
    calls, env = fake_service
    subprocess.run(["sh", str(ENTRYPOINT)], env=env, check=True)

    assert calls.read_text().splitlines() == ["db upgrade", "run"]
    database = tmp_path / "data" / "whoseonfirst.db"
    # Group-writable, so a restart under another arbitrary UID (GID 0) can still write it.
    assert stat.S_IMODE(database.stat().st_mode) == 0o660


def test_entrypoint_runs_other_subcommands_without_migrating(
    fake_service: tuple[Path, dict[str, str]],
) -> None:
    calls, env = fake_service
    subprocess.run(["sh", str(ENTRYPOINT), "backup", "/data/copy.db"], env=env, check=True)

    assert calls.read_text().splitlines() == ["backup /data/copy.db"]
