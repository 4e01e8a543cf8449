"""The real ``whoseonfirst-service run`` process: systemd notifications, /healthz, a text sent at
its exact due instant through the fake Twilio server, masked JSON logs, and SIGTERM → exit 0.

Runs in real time (a few seconds): the daemon's scheduler works on the wall clock. The test
waits on the process's output and the notify socket, never on a sleep.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.fakes.fake_twilio import FakeTwilio
from whoseonfirst_core.db.models import Member
from whoseonfirst_core.db.session import Database, upgrade
from whoseonfirst_core.roster import create_demo_team
from whoseonfirst_core.usecases.calendar import Cover, add_override

pytestmark = pytest.mark.slow

CAL = "+13125550103"
UNMASKED = re.compile(r"1312555\d{4}")
LEAD_TIME = timedelta(seconds=6)  # the shift starts this long after the test sets it up


def read_json_lines_until(
    proc: subprocess.Popen[str], done: Callable[[dict[str, Any]], bool], timeout: float
) -> list[dict[str, Any]]:
    """Read the daemon's JSON log lines until one satisfies ``done`` (or fail on timeout)."""
    assert proc.stdout is not None
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not sel.select(timeout=deadline - time.monotonic()):
                break
            line = proc.stdout.readline()
            if not line:
                break
            record = json.loads(line)
            seen.append(record)
            if done(record):
                return seen
    raise AssertionError(f"the daemon did not log what was expected; it logged: {seen}")


def test_the_daemon_texts_at_the_due_instant_and_stops_cleanly_on_sigterm(
    tmp_path: Path, notify_socket: tuple[socket.socket, str]
) -> None:
    sock, notify_path = notify_socket
    url = f"sqlite:///{tmp_path / 'whoseonfirst.db'}"
    db = Database(url)
    upgrade(db)
    now = datetime.now(UTC)
    due = (now + LEAD_TIME).replace(microsecond=0)
    with db.uow("test") as uow:  # the demo roster; the rotation starts tomorrow
        create_demo_team(uow, now, (now + timedelta(days=1)).date())
        cal = uow.session.scalars(select(Member).where(Member.name == "Cal Chen")).one()
        add_override(uow, now, Cover(cal.id, due, due + timedelta(hours=1), "drill"))
        uow.commit()
    db.dispose()

    with FakeTwilio() as fake:
        fake.set_status_script(["delivered"])
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("WHOSEONFIRST_", "TWILIO_", "NOTIFY_", "WATCHDOG_"))
            },
            "WHOSEONFIRST_DATABASE_URL": url,
            "TWILIO_ACCOUNT_SID": fake.account_sid,
            "TWILIO_AUTH_TOKEN": fake.auth_token,
            "TWILIO_FROM_NUMBER": "+13125550100",
            "WHOSEONFIRST_TWILIO_API_URL": fake.base_url,
            "WHOSEONFIRST_HTTP": "127.0.0.1:0",
            "NOTIFY_SOCKET": notify_path,
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "whoseonfirst_service", "run"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            ready = sock.recv(1024).decode()
            assert ready.startswith("READY=1\nSTATUS=serving /healthz on http://127.0.0.1:")
            health_url = ready.rsplit(" ", 1)[1] + "/healthz"
            logs = read_json_lines_until(proc, lambda r: r.get("event") == "tick", 30)
            with urllib.request.urlopen(health_url, timeout=10) as response:
                health = json.loads(response.read())
            assert response.status == 200 and health["checks"]["sms_backend"] == "twilio"
            assert not [r for r in fake.create_requests if r.form.get("To") == CAL]

            logs += read_json_lines_until(
                proc,
                lambda r: r.get("event") == "sent" and "Cal Chen" in r.get("msg", ""),
                LEAD_TIME.total_seconds() + 30,
            )
            [request] = [r for r in fake.create_requests if r.form.get("To") == CAL]
            delay = (request.received_at - due).total_seconds()
            print(
                f"\nshift start {due.isoformat()}: the text reached the fake Twilio "
                f"{delay:.3f} s after the due instant"
            )
            assert 0 <= delay < 3, delay
            assert request.form["Body"].startswith("WhoseOnFirst: Hi Cal Chen, you are on call")
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert sock.recv(1024) == b"STOPPING=1"
    lines = [json.loads(line) for line in out.splitlines()]
    events = [r.get("event") for r in logs + lines]
    assert "started" in events and events[-1] == "stopped"
    text = "".join(json.dumps(r) for r in logs + lines) + err
    assert not UNMASKED.search(text)
    assert fake.auth_token not in text
