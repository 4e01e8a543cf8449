"""The real-clock drills' spans, sized from a measured daemon start-up (``chaos.timing``).

The service's planner reports due instants on whole seconds, and the drills match the texts
they expect by those instants: a span or lead with a fraction of a second would put a cover's
start between two of them, and the drill would count its text as unexpected and another as
never sent.
"""

from __future__ import annotations

import pytest

from chaos.kill_daemon import FULL, QUICK
from chaos.timing import FLOOR_S, Timing


@pytest.mark.parametrize("startup", [0.3, 0.9, 1.4, 3.48, 7.77])
def test_spans_and_leads_are_whole_seconds_and_never_shorter_than_on_an_idle_machine(
    startup: float,
) -> None:
    timing = Timing(startup)
    assert timing.planned == max(FLOOR_S, 3 * startup)
    for base, idle_lead in ((QUICK, 8.0), (FULL, 8.0)):
        sized = base.sized(timing)
        assert sized.gap == int(sized.gap) and sized.gap >= base.gap
        assert sized.lead == int(sized.lead) and sized.lead >= base.lead
        # A daemon restarted just before an instant is back, and has sent, within the gap.
        assert sized.gap >= sized.restart + timing.planned + 2.0
        assert timing.lead(idle_lead) == int(timing.lead(idle_lead)) >= idle_lead
        assert timing.lead(idle_lead) >= timing.planned + 3.0


def test_an_idle_machine_keeps_the_original_spans() -> None:
    timing = Timing(0.9)
    assert (QUICK.sized(timing).gap, QUICK.sized(timing).lead) == (7.0, 7.0)
    assert (FULL.sized(timing).gap, FULL.sized(timing).lead) == (14.0, 11.0)
    assert timing.lead(8.0) == 8.0
