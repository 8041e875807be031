"""When a challenge's weekly results fall due, which of them the final results replace, and
the periods its results posts report on: from the opening to the close, they tile."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

from bot.cron import fire_times
from bot.model import Challenge
from bot.weeks import FIRST_RESULTS_AFTER

#: A weekly results post due this close to the close of voting is left to the final results.
LAST_DAY = timedelta(hours=24)


def weekly_slots(challenge: Challenge, end: datetime) -> list[tuple[str, datetime]]:
    """(period key, due time) of the challenge's weekly results before `end`, from the first
    slot a day after the opening on."""
    if challenge.opened_at is None:
        return []
    s = challenge.settings
    return fire_times(s.schedule, s.timezone, challenge.opened_at + FIRST_RESULTS_AFTER, end)


def left_to_final(challenge: Challenge, due_at: datetime) -> bool:
    """Whether the weekly results due at `due_at` are replaced by the final results: voting
    closes within a day after."""
    closes = challenge.voting_close_at
    return closes is not None and due_at >= closes - LAST_DAY


def results_periods(challenge: Challenge, end: datetime) -> list[tuple[datetime, datetime]]:
    """The periods from the opening to `end`, one to each weekly results slot (except those
    left to the final results), then the rest: what each post reports on, week by week."""
    if challenge.opened_at is None:
        return []
    stop = min(end, challenge.closed_at or end)
    slots = [at for _, at in weekly_slots(challenge, stop) if not left_to_final(challenge, at)]
    bounds = [challenge.opened_at, *slots, end]
    return [(a, b) for a, b in pairwise(bounds) if a < b]
