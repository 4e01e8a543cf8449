"""What starting the app imports: the roster file's checks (pydantic), the keyring and the
Twilio SDK, the iCalendar writer and the holiday calendars wait until something asks for them,
so the first window does not pay for them."""

from __future__ import annotations

import os
import subprocess
import sys

DEFERRED = (
    "pydantic",
    "keyring",
    "twilio",
    "alembic",
    "whoseonfirst_core.roster",
    "icalendar",
    "holidays",
)


def test_importing_the_app_leaves_out_what_the_first_window_does_not_need() -> None:
    code = (
        "import sys\n"
        "import whoseonfirst_gui.app\n"
        f"deferred = {DEFERRED!r}\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(deferred))\n"
        "assert not loaded, loaded\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120, env=env)
