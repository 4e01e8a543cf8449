"""Round trips to PostgreSQL counted on the wire: a database reached through a
:class:`LoopbackProxy`, the trips one call costs once its connection is open, and the read each
page of the app runs when it opens (the tests pin their counts; the benchmark reports them)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.engine import make_url

from tests.loopback_proxy import LoopbackProxy
from whoseonfirst_core.db.session import Database, UnitOfWork, read_revision
from whoseonfirst_core.usecases.dashboard import load_dashboard
from whoseonfirst_core.usecases.notifications import HistoryFilter
from whoseonfirst_gui.calendar.store import fetch_calendar
from whoseonfirst_gui.pages.audit import load_audit
from whoseonfirst_gui.pages.notifications import load_history
from whoseonfirst_gui.pages.settings.page import load_settings_view
from whoseonfirst_gui.pages.shifts import load_pattern
from whoseonfirst_gui.pages.team import load_team
from whoseonfirst_gui.pages.test_send import load_test_send

PageRead = Callable[[UnitOfWork], object]


def page_reads(now: datetime) -> dict[str, PageRead]:
    """What each page reads when it opens at ``now`` (the live-refresh poll too), by name."""
    return {
        "revision poll": lambda uow: read_revision(uow.session),
        "Dashboard": lambda uow: load_dashboard(uow, now),
        "Calendar (month)": lambda uow: fetch_calendar(uow, now, None, "month"),
        "Team": lambda uow: load_team(uow, now),
        "Shifts": lambda uow: load_pattern(uow, now),
        "Send a test": lambda uow: load_test_send(uow, now, None),
        "Audit": lambda uow: load_audit(uow, "", 0),
        "Texts": lambda uow: load_history(uow, HistoryFilter(), 0, now, None),
        "Settings": lambda uow: load_settings_view(uow, now),
    }


@contextmanager
def proxied(pg_url: str) -> Iterator[tuple[Database, LoopbackProxy]]:
    """A :class:`Database` on ``pg_url`` whose every byte passes through a counting proxy."""
    parsed = make_url(pg_url)
    with LoopbackProxy(parsed.host or "127.0.0.1", parsed.port or 5432) as proxy:
        db = Database(parsed.set(port=proxy.port).render_as_string(hide_password=False))
        try:
            yield db, proxy
        finally:
            db.dispose()


def trips(proxy: LoopbackProxy, call: Callable[[], object]) -> int:
    """The round trips ``call()`` costs on a warm pool: it runs once to open (and prepare) the
    connection, then again counted."""
    call()
    proxy.reset_count()
    call()
    return proxy.round_trips
