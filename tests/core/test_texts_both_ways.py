"""The Texts page's read model lists the texts the team sent and the texts sent to it in one
newest-first list: interleaved by time, filtered and searched like the rest, paged and counted
in a few queries, an unknown sender masked. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.core.test_read_paths import counting
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.replies import InboundText
from whoseonfirst_core.roster import create_demo_team
from whoseonfirst_core.usecases import inbound
from whoseonfirst_core.usecases.dto import InboundDTO, NotificationDTO, TextRow
from whoseonfirst_core.usecases.notifications import (
    IN,
    OUT,
    HistoryFilter,
    history_counts,
    queue_text,
    texts_page,
)
from whoseonfirst_core.usecases.schedule import member_names

NOW = datetime(2026, 3, 2, 16, tzinfo=UTC)  # Mon 10:00 CST: Ann is on call
ANN, BEN, LEAD, STRANGER = "+13125550101", "+13125550102", "+13125550199", "+13125550177"
MINUTE = timedelta(minutes=1)


@pytest.fixture
def texts(db: Database) -> Database:
    """Out at 0, 2, 4 minutes past NOW; in at 1 (Ann: OK), 3 (a stranger), 5 (Ben: HELP,
    answered by a reply due at 5 minutes 10 s)."""
    with db.uow("admin") as uow:
        create_demo_team(uow, NOW - timedelta(hours=3), date(2026, 3, 2))
        uow.commit()
    for minute, to in ((0, ANN), (2, BEN), (4, LEAD)):
        with db.uow("admin") as uow:
            queue_text(uow, NOW + minute * MINUTE, to=to, body=f"test {minute}")
            uow.commit()
    for minute, sender, body in ((1, ANN, "OK"), (3, STRANGER, "hi"), (5, BEN, "HELP")):
        sent = NOW + minute * MINUTE
        with db.uow("service") as uow:
            message = InboundText(f"SM{minute:032d}", sender, "+13125550100", body, sent)
            inbound.record_inbound(uow, sent + timedelta(seconds=10), [message])
            uow.commit()
    return db


def at(row: TextRow) -> datetime:
    return row.sent_at if isinstance(row, InboundDTO) else row.due_at


def shown(rows: list[TextRow]) -> list[str]:
    return [
        f"in {r.sender_name or r.sender}: {r.body}"
        if isinstance(r, InboundDTO)
        else f"out {r.kind} {r.recipient_name}"
        for r in rows
    ]


def test_both_ways_interleaved_newest_first_with_names_and_outcomes(texts: Database) -> None:
    with texts.reader() as uow:
        rows = texts_page(uow, HistoryFilter())
        assert history_counts(uow, HistoryFilter(), NOW)[0] == len(rows) == 7
    assert shown(rows) == [
        "out reply Ben Brooks",  # the answer to HELP, just after it
        "in Ben Brooks: HELP",
        "out test +13125550199",
        "in +1312555XXXX: hi",  # an unknown number is not shown whole
        "out test Ben Brooks",
        "in Ann Archer: OK",
        "out test Ann Archer",
    ]
    assert [at(r) for r in rows] == sorted((at(r) for r in rows), reverse=True)
    ok = rows[5]
    assert isinstance(ok, InboundDTO) and ok.sender == ANN and ok.asks == "confirm"
    assert ok.outcome == "confirmed the shift starting Mon 08:00 CST"
    stranger = rows[3]
    assert isinstance(stranger, InboundDTO) and stranger.sender_name == ""
    assert stranger.outcome == "from a number the team does not know: no reply"


def test_paging_through_both_ways_gives_every_text_once(texts: Database) -> None:
    with texts.reader() as uow:
        whole = texts_page(uow, HistoryFilter())
        paged = [
            r
            for offset in (0, 2, 4, 6)
            for r in texts_page(uow, HistoryFilter(), offset=offset, limit=2)
        ]
        assert paged == whole
        assert texts_page(uow, HistoryFilter(), offset=7) == []


def test_a_page_and_its_counts_are_four_queries(texts: Database) -> None:
    with texts.reader() as uow, counting(texts) as seen:
        texts_page(uow, HistoryFilter(), offset=1, limit=3)
        history_counts(uow, HistoryFilter(), NOW)
    assert len(seen) == 4  # the page's keys, its sent texts, its received texts; the counts


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (
            HistoryFilter(direction=IN),
            ["in Ben Brooks: HELP", "in +1312555XXXX: hi", "in Ann Archer: OK"],
        ),
        (HistoryFilter(direction=OUT, kinds=("reply",)), ["out reply Ben Brooks"]),
        # Kind and status belong to the texts the team sent: none sent to it has either.
        (
            HistoryFilter(statuses=("queued",), text="Ben"),
            ["out reply Ben Brooks", "out test Ben Brooks"],
        ),
        (HistoryFilter(direction=IN, text="ann"), ["in Ann Archer: OK"]),  # by the sender's name
        (HistoryFilter(direction=IN, text="hughes"), []),
        (HistoryFilter(direction=IN, text="confirmed"), ["in Ann Archer: OK"]),  # by what it did
        (HistoryFilter(direction=IN, text="5550102"), ["in Ben Brooks: HELP"]),  # by the number
        (HistoryFilter(text="5550177"), []),  # not an unknown sender: it is shown masked
        (
            HistoryFilter(direction=IN, since=NOW + 2 * MINUTE, until=NOW + 4 * MINUTE),
            ["in +1312555XXXX: hi"],
        ),
    ],
)
def test_filters_and_search_apply_to_both_ways(
    texts: Database, f: HistoryFilter, expected: list[str]
) -> None:
    with texts.reader() as uow:
        rows = texts_page(uow, f)
        assert shown(rows) == expected
        assert history_counts(uow, f, NOW)[0] == len(expected)


def test_the_member_filter_takes_what_they_sent_and_what_was_sent_to_them(
    texts: Database,
) -> None:
    with texts.reader() as uow:
        ben = next(i for i, n in member_names(uow).items() if n == "Ben Brooks")
        rows = texts_page(uow, HistoryFilter(member_id=ben))
    assert shown(rows) == ["out reply Ben Brooks", "in Ben Brooks: HELP", "out test Ben Brooks"]
    assert all(isinstance(r, NotificationDTO) or r.member_id == ben for r in rows)
