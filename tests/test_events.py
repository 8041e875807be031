"""The bus of domain events: every handler of an event's kind (and of its parents) runs,
in order, and one that fails does not stop the others."""

from __future__ import annotations

from typing import cast

import pytest

from bot.events import Bus, Event, IdeasChanged, Posting, ResultsPosted, ScheduleChanged
from bot.model import Challenge


def _challenge() -> Challenge:
    return cast(Challenge, None)  # the bus never looks inside events


async def test_handlers_run_in_order_for_the_kind_and_its_parents(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = Bus()
    seen: list[str] = []

    async def failing(event: Event) -> None:
        raise RuntimeError("boom")

    async def any_event(event: Event) -> None:
        seen.append(f"event:{type(event).__name__}")

    async def posting(event: Posting) -> None:
        seen.append(f"posting:{len(event.posts)}")

    async def schedule(event: ScheduleChanged) -> None:
        seen.append(f"schedule:{event.community_id}")

    bus.subscribe(Posting, posting)
    bus.subscribe(Event, failing)
    bus.subscribe(Event, any_event)
    bus.subscribe(ScheduleChanged, schedule)
    await bus.publish(
        [ResultsPosted(_challenge(), ()), ScheduleChanged(7), IdeasChanged(frozenset())]
    )
    assert seen == [
        "posting:0",
        "event:ResultsPosted",
        "schedule:7",
        "event:ScheduleChanged",
        "event:IdeasChanged",
    ]
    assert sum("handling" in r.getMessage() for r in caplog.records) == 3
