"""A shared database far away: the desktop app's page opens on PostgreSQL behind a loopback
TCP proxy that adds 20 ms each way (40 ms per round trip, a WAN or VPN link to the server).

The same large dataset and the same page opens as :mod:`bench.gui`, on a private PostgreSQL
server started for the run (:mod:`bench.pg`: the machine's PostgreSQL binaries). What this shows
is round trips: a page that asks ten questions one after another pays ten round trips. Each
page's read is also run here once more and its round trips counted by the proxy (on the wire,
not estimated). Without PostgreSQL binaries the figures are reported as n/a.
"""

from __future__ import annotations

from bench import pg
from bench.common import BENCH_NOW, Figure
from bench.dataset import LARGE, QUICK
from bench.gui import PAGE_TITLES, page_figures, run_pages
from tests.loopback_proxy import LoopbackProxy
from tests.round_trips import page_reads, proxied, trips

GROUP = "remote (PostgreSQL, +20 ms each way)"
DELAY_S = 0.020


def run(quick: bool = False) -> list[Figure]:
    size = QUICK if quick else LARGE
    try:
        name = pg.large_database(size)
    except pg.Unavailable as exc:
        return [
            Figure(GROUP, f"{title}: open", None, "ms", 500, note=str(exc))
            for title in PAGE_TITLES.values()
        ]
    server = pg.server()
    with LoopbackProxy(server.host, server.port, delay=DELAY_S) as proxy:
        url = f"postgresql+psycopg://{server.user}@127.0.0.1:{proxy.port}/{name}"
        result = run_pages(url, 2 if quick else 5)
    figures = [
        f
        for f in page_figures(
            result, GROUP, 500, f"PostgreSQL, {size.describe()}, 40 ms round trips"
        )
        if f.unit == "ms"
    ]
    with proxied(server.url(name)) as (db, counted):
        reads = {
            page: trips(counted, lambda q=q: db.read(q))
            for page, q in page_reads(BENCH_NOW).items()
        }
    figures.append(
        Figure(
            GROUP,
            "round trips per page read",
            max(reads.values()),
            "trips",
            2,
            note=", ".join(f"{page} {n}" for page, n in reads.items()),
        )
    )
    figures.append(
        Figure(
            GROUP,
            "all pages loaded after opening",
            result["all_pages_loaded_ms"],
            "ms",
            None,
            note="every page's first load, in the background",
        )
    )
    return figures
