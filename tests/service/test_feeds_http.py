"""``GET /calendar/<token>.ics`` on the feeds' own address: the feed read back with vobject,
ETag and 304, the same 404 for every wrong, missing or reset token, the per-address rate
limit, ``feed-link`` on the command line, and 50 feed requests at once while the daemon ticks
on a driven clock."""

from __future__ import annotations

import io
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta

import pytest
import vobject
from whoseonfirst_service.cli import main
from whoseonfirst_service.daemon import Daemon
from whoseonfirst_service.feeds_http import FeedServer, RateLimit

from tests.service.conftest import MakeEngine
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.usecases.common import find_member
from whoseonfirst_core.usecases.feeds import create_link


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def links(db: Database, clock: FixedClock) -> tuple[str, str]:
    """The team's link token and Ann's."""
    with db.uow("admin") as uow:
        ann = find_member(uow, "Ann")
        assert ann is not None
        team_token = create_link(uow, clock.now(), None)
        ann_token = create_link(uow, clock.now(), ann.id)
        uow.commit()
    assert team_token is not None and ann_token is not None
    return team_token, ann_token


@pytest.fixture
def feeds(team: Database, clock: FixedClock) -> Iterator[FeedServer]:
    server = FeedServer(("127.0.0.1", 0), team, clock)
    server.start()
    yield server
    server.stop()


def test_a_feed_with_its_etag_and_304(feeds: FeedServer, team: Database, clock: FixedClock) -> None:
    team_token, ann_token = links(team, clock)
    status, headers, body = get(f"{feeds.url}/calendar/{team_token}.ics")
    assert status == 200 and headers["Content-Type"] == "text/calendar; charset=utf-8"
    cal = vobject.readOne(body.decode())
    # The stored schedule: 90 days back (none before the anchor here), the horizon ahead.
    assert len(cal.vevent_list) >= 12 * 6 and b"+1312" not in body  # no phone in the team's feed
    etag = headers["ETag"]
    status, headers, body304 = get(
        f"{feeds.url}/calendar/{team_token}.ics", {"If-None-Match": etag}
    )
    assert (status, headers["ETag"], body304) == (304, etag, b"")
    assert get(f"{feeds.url}/calendar/{team_token}.ics", {"If-None-Match": '"old"'})[0] == 200
    weak = {"If-None-Match": f'"old", W/{etag}'}  # as a compressing proxy passes it on
    assert get(f"{feeds.url}/calendar/{team_token}.ics", weak)[0] == 304
    status, _, mine = get(f"{feeds.url}/calendar/{ann_token}.ics")
    assert status == 200
    events = vobject.readOne(mine.decode()).vevent_list
    assert events and all("Ann Archer" in e.summary.value for e in events)
    assert all("+13125550101" in e.description.value for e in events)


def test_wrong_missing_and_reset_tokens_get_the_same_404(
    feeds: FeedServer, team: Database, clock: FixedClock
) -> None:
    team_token, _ = links(team, clock)
    with team.uow("admin") as uow:
        new = create_link(uow, clock.now(), None, reset=True)
        uow.commit()
    wrong = [
        f"/calendar/{team_token}.ics",  # reset: the old link stops working
        f"/calendar/{team_token[:-1]}.ics",
        f"/calendar/{'A' * 43}.ics",
        "/calendar/.ics",
        f"/calendar/{new}",
        "/calendar/../healthz",
        "/healthz",
        "/",
    ]
    answers = set()
    for path in wrong:
        status, headers, body = get(feeds.url + path)
        answers.add((status, headers.get("Content-Type"), headers.get("Content-Length"), body))
    assert answers == {(404, "text/plain; charset=utf-8", "10", b"not found\n")}
    assert get(f"{feeds.url}/calendar/{new}.ics")[0] == 200


def test_each_address_is_rate_limited() -> None:
    now = [0.0]
    limit = RateLimit(burst=3, per_minute=60, monotonic=lambda: now[0])
    assert [limit.allow("10.0.0.1") for _ in range(3)] == [None, None, None]
    assert limit.allow("10.0.0.1") == pytest.approx(1.0)
    assert limit.allow("10.0.0.2") is None  # another address has its own
    now[0] += 1.0
    assert limit.allow("10.0.0.1") is None
    assert limit.allow("10.0.0.1") is not None


def test_the_server_answers_429_beyond_the_limit(team: Database, clock: FixedClock) -> None:
    server = FeedServer(("127.0.0.1", 0), team, clock, limit=RateLimit(burst=2, per_minute=1))
    server.start()
    try:
        statuses = [get(f"{server.url}/calendar/x.ics")[0] for _ in range(3)]
        status, headers, _ = get(f"{server.url}/calendar/x.ics")
    finally:
        server.stop()
    assert statuses == [404, 404, 429]
    assert status == 429 and int(headers["Retry-After"]) >= 1


def test_feed_link_prints_a_link_once(
    team: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", team.url)
    monkeypatch.setenv("WHOSEONFIRST_SMS_BACKEND", "dry-run")
    monkeypatch.setenv("WHOSEONFIRST_FEEDS_URL", "https://oncall.example.com/")

    def run(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), clock=clock, out=out, err=err)
        return code, out.getvalue(), err.getvalue()

    code, out, _ = run("feed-link", "--member", "ann")
    assert code == 0 and out.startswith("https://oncall.example.com/calendar/")
    assert out.strip().endswith(".ics")
    code, out2, err = run("feed-link", "--member", "ann")
    assert code == 1 and out2 == ""
    assert "Ann Archer's calendar already has a link" in err and "--reset" in err
    code, out3, _ = run("feed-link", "--member", "ann", "--reset")
    assert code == 0 and out3 != out
    code, _, err = run("feed-link", "--member", "nobody")
    assert code == 1 and "no member called 'nobody'" in err


def test_fifty_feed_requests_at_once_leave_the_ticks_on_time(
    team: Database, make_engine: MakeEngine, clock: FixedClock
) -> None:
    team_token, ann_token = links(team, clock)
    daemon = Daemon(make_engine(), clock=clock, feeds_bind=("127.0.0.1", 0))
    daemon.start_http()
    assert daemon.feeds is not None
    base = daemon.feeds.url
    daemon.run_tick()  # the first tick plans the horizon; time the ordinary ones
    quiet: list[float] = []
    for _ in range(3):
        clock.advance(timedelta(seconds=30))
        began = time.perf_counter()
        assert daemon.run_tick() is not None
        quiet.append(time.perf_counter() - began)
    results: list[int] = []
    start = threading.Barrier(51)

    def fetch(i: int) -> None:
        start.wait()
        results.append(get(f"{base}/calendar/{(team_token, ann_token)[i % 2]}.ics")[0])

    threads = [threading.Thread(target=fetch, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    loaded: list[float] = []
    try:
        start.wait()
        while any(t.is_alive() for t in threads) or len(loaded) < 3:
            clock.advance(timedelta(seconds=30))
            began = time.perf_counter()
            assert daemon.run_tick() is not None  # None: the tick failed
            loaded.append(time.perf_counter() - began)
    finally:
        for t in threads:
            t.join()
        daemon.shutdown()
    assert results == [200] * 50
    # A tick among fifty feed requests still ends well inside its 30 s interval.
    assert max(loaded) < 5.0, (quiet, loaded)


def test_an_edit_changes_the_feed_and_its_etag(
    feeds: FeedServer, team: Database, clock: FixedClock
) -> None:
    from whoseonfirst_core.usecases.calendar import Cover, apply_calendar_plan

    team_token, _ = links(team, clock)
    url = f"{feeds.url}/calendar/{team_token}.ics"
    _, headers, before = get(url)
    etag = headers["ETag"]
    with team.uow("admin") as uow:
        ben = find_member(uow, "Ben")
        assert ben is not None
        start = clock.now() + timedelta(days=3)
        apply_calendar_plan(uow, clock.now(), [Cover(ben.id, start, start + timedelta(hours=2))])
        uow.commit()
    status, headers, after = get(url, {"If-None-Match": etag})
    assert status == 200 and headers["ETag"] != etag and after != before
    assert any(
        e.summary.value.startswith("Ben Brooks covers ")
        for e in vobject.readOne(after.decode()).vevent_list
    )
    assert get(url, {"If-None-Match": headers["ETag"]})[0] == 304
