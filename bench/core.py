"""Scale of the core: 200 members, the default pattern, 10 years of schedule."""

from __future__ import annotations

from datetime import date, timedelta

from bench.common import BENCH_NOW, Figure, best_of, big_roster, fresh_sqlite
from whoseonfirst_core.db.models import TeamSettings
from whoseonfirst_core.domain.resolution import on_call_at
from whoseonfirst_core.roster import dumps_roster, export_roster_data, import_roster_data
from whoseonfirst_core.usecases import schedule

GROUP = "core (200 members)"


def run(quick: bool = False) -> list[Figure]:
    members = 200
    years = 1 if quick else 10
    figures: list[Figure] = []
    with fresh_sqlite() as db:
        with db.uow("bench") as uow:
            import_roster_data(uow, BENCH_NOW, big_roster(members))
            uow.commit()

        # Generation: a horizon of `years` years, generated in one go (what a fresh import of an
        # old anchor date or a long horizon costs).
        def generate() -> int:
            with db.uow("bench") as uow:
                settings = uow.session.get(TeamSettings, 1)
                assert settings is not None
                settings.horizon_weeks = 52 * years
                n = schedule.extend_horizon(uow, BENCH_NOW, force=True)
                settings.horizon_weeks = 12  # back to a normal setting; entries stay
                uow.commit()
                return n

        import time

        t = time.perf_counter()
        entries = generate()
        gen_ms = (time.perf_counter() - t) * 1000
        figures.append(
            Figure(
                GROUP,
                f"{years}-year generation ({entries} entries)",
                gen_ms / 1000,
                "s",
                1.0 if not quick else None,
            )
        )
        at = BENCH_NOW + timedelta(days=365 * years // 2)

        def resolve_at() -> None:
            with db.reader() as uow:
                spans = schedule.resolve_window(uow, at, at + timedelta(seconds=1))
                assert on_call_at(spans, at) is not None

        figures.append(Figure(GROUP, "resolution at an instant", best_of(resolve_at), "ms", 10))
        first = (BENCH_NOW + timedelta(days=365 * years // 2)).date()

        def four_weeks() -> None:
            with db.reader() as uow:
                view = schedule.preview(uow, first, 28)
                assert view.spans

        figures.append(Figure(GROUP, "4-week preview", best_of(four_weeks), "ms", 50))

        def roundtrip() -> None:
            with db.reader() as uow:
                text = dumps_roster(export_roster_data(uow))
            with fresh_sqlite() as other:
                with other.uow("bench") as uow:
                    import_roster_data(uow, BENCH_NOW, text)
                    uow.commit()
                with other.reader() as uow:
                    assert dumps_roster(export_roster_data(uow)) == text

        figures.append(
            Figure(
                GROUP,
                "export → import → export",
                best_of(roundtrip, 3),
                "ms",
                None,
                note="includes generating the new database's horizon",
            )
        )
        _ = date
    return figures
