"""The planner at scale: 200 members, 14 months of schedule, US/TX holidays, everyone away two
weeks once (and, harder, eight times). ``python -m bench.planner`` prints the figures alone."""

from __future__ import annotations

from datetime import date, timedelta

from bench.common import BENCH_NOW, Figure, best_of, big_roster, fresh_sqlite
from whoseonfirst_core.roster import import_roster_data
from whoseonfirst_core.usecases import planner

GROUP = "planner (200 members)"


def run(quick: bool = False) -> list[Figure]:
    figures = _run(quick, stretches=1)
    return figures if quick else figures + _run(quick, stretches=8)


def _run(quick: bool, *, stretches: int) -> list[Figure]:
    """Every member away ``stretches`` times two weeks, the starts spread over the horizon."""
    members = 200
    weeks = 12 if quick else 60
    roster = big_roster(members)
    roster["settings"] = {"horizon_weeks": weeks}
    roster["holidays"] = {"country": "US", "subdivision": "TX", "extra": []}
    first = date(2026, 3, 2)
    gap = 7 * weeks // stretches
    roster["time_off"] = [
        {
            "member": m["name"],
            "start": (first + timedelta(days=k * gap + (i * gap) // members)).isoformat(),
            "end": (first + timedelta(days=k * gap + (i * gap) // members + 13)).isoformat(),
            "reason": "vacation",
        }
        for k in range(stretches)
        for i, m in enumerate(roster["members"])
        if k * gap + (i * gap) // members + 13 < 7 * weeks
    ]
    days = 7 * weeks - 14
    with fresh_sqlite() as db:
        with db.uow("bench") as uow:
            import_roster_data(uow, BENCH_NOW, roster)
            uow.commit()
        start, end = BENCH_NOW, BENCH_NOW + timedelta(days=days)
        found: list[planner.SuggestionDTO] = []

        def suggest() -> None:
            with db.reader() as uow:
                found[:] = planner.suggest_covers_in(uow, start, end, BENCH_NOW)

        def fairness() -> None:
            with db.reader() as uow:
                planner.fairness(uow, first, first + timedelta(days=days), BENCH_NOW)

        repeat = 1 if quick else 3
        suggest_ms = best_of(suggest, repeat)
        fairness_ms = best_of(fairness, repeat)
    away = f"{len(roster['time_off'])} time off"
    return [
        Figure(
            GROUP,
            f"suggestions for {days} days ({away}, {len(found)} conflicts)",
            suggest_ms / 1000,
            "s",
            None if quick else 1.0,
        ),
        Figure(
            GROUP,
            f"fairness ledger over {days} days ({away})",
            fairness_ms,
            "ms",
            None if quick else 200,
        ),
    ]


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table(run())
