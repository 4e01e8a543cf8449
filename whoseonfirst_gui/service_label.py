"""The status bar's word on the service: up (plain); up but its texts not going out, silent,
stopped or never seen (red); or the database not answering (red). Whether the service is up,
and whether its texts go out, is decided by the core
(:func:`whoseonfirst_core.usecases.heartbeat.status_of`, the heartbeat's ``sms_problem``);
this only words and colours it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtWidgets import QLabel, QWidget

from whoseonfirst_core.clock import Clock
from whoseonfirst_core.domain.service_state import ServiceState
from whoseonfirst_core.domain.timeutil import zone
from whoseonfirst_core.usecases.dto import HeartbeatDTO
from whoseonfirst_core.usecases.heartbeat import status_of
from whoseonfirst_gui import format as fmt


def service_text(hb: HeartbeatDTO | None, now: datetime, tz: ZoneInfo) -> tuple[str, bool]:
    """The status bar's words for the service whose newest heartbeat is ``hb``, and whether
    it is up."""
    status = status_of(hb, now)
    if status.heartbeat is None:
        return "Service: never seen", False
    last = status.heartbeat.last_tick_at
    if status.state is ServiceState.UP:
        if status.heartbeat.sms_problem:
            return "Service: up, but texts are not going out", False
        return f"Service: up, last tick {fmt.age(last, now)}", True
    if status.state is ServiceState.STOPPED and status.heartbeat.stopped_at is not None:
        return f"Service: stopped at {fmt.when_short(status.heartbeat.stopped_at, tz)}", False
    if status.state is ServiceState.AHEAD:
        return (
            f"Service: unknown, last tick stamped in the future ({fmt.when_short(last, tz)})",
            False,
        )
    return f"Service: silent since {fmt.when_short(last, tz)}", False


#: The Dashboard's first word for each state (the status bar words it in a sentence).
STATE_WORDS: dict[ServiceState, str] = {
    ServiceState.NEVER_SEEN: "never seen",
    ServiceState.UP: "up",
    ServiceState.SILENT: "silent",
    ServiceState.STOPPED: "stopped",
    ServiceState.AHEAD: "unknown (its last tick is stamped in the future)",
}


class ServiceLabel(QLabel):
    """Shows the newest heartbeat, or that the database cannot be reached (until it answers)."""

    def __init__(self, clock: Clock, parent: QWidget | None = None) -> None:
        super().__init__("Service: …", parent)
        self.clock = clock
        self.heartbeat: HeartbeatDTO | None = None
        self.tz = zone("UTC")
        self.unreachable = ""

    def show_heartbeat(self, hb: HeartbeatDTO | None) -> None:
        self.unreachable = ""
        self.heartbeat = hb
        self.update_text()

    def set_zone(self, tz_name: str | None) -> None:
        self.tz = zone(tz_name or "UTC")
        self.update_text()

    def database_answered(self) -> None:
        self.unreachable = ""
        self.update_text()

    def database_unreachable(self, reason: str) -> None:
        self.unreachable = reason
        self.setText("Database: not reachable — retrying")
        self.setToolTip(reason)
        self.setStyleSheet(f"color: {fmt.readable(fmt.ERROR_COLOR)};")

    def update_text(self) -> None:
        if self.unreachable:
            return
        text, up = service_text(self.heartbeat, self.clock.now(), self.tz)
        self.setText(text)
        self.setStyleSheet("" if up else f"color: {fmt.readable(fmt.ERROR_COLOR)};")
        hb = self.heartbeat
        if hb is None:
            self.setToolTip("No service has run against this database: texts wait in the queue.")
            return
        about = f"{hb.host} · v{hb.version} · SMS {hb.sms_backend}"
        self.setToolTip(f"{hb.sms_problem}\n{about}" if hb.sms_problem else about)
