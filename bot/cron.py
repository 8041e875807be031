"""When a cron schedule fires, in a time zone, computed from the wall clock.

Each matching local date and time fires exactly once: a time that falls in a spring-
forward gap fires just after the gap, and a time that happens twice in an autumn fold
fires at its first occurrence. So daylight-saving changes neither double nor drop a post.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.grammar import cron_fields


def _day_matches(fields: tuple[frozenset[int], ...], day: date) -> bool:
    days, months, weekdays = fields[2], fields[3], fields[4]
    dom_restricted, dow_restricted = 1 in fields[5], 1 in fields[6]
    if day.month not in months:
        return False
    in_month, in_week = day.day in days, day.weekday() in weekdays
    if dom_restricted and dow_restricted:
        return in_month or in_week  # cron's rule: either restricted field may match
    return in_month and in_week


def fire_times(
    schedule: str, timezone: str, start: datetime, end: datetime
) -> list[tuple[str, datetime]]:
    """Every firing in [start, end), oldest first: its local slot (`2026-03-09T09:00`, the
    key of its period, even when a gap moved it) and its time in UTC."""
    fields = cron_fields(schedule)
    tz = ZoneInfo(timezone)
    first_day = start.astimezone(tz).date() - timedelta(days=1)
    last_day = end.astimezone(tz).date() + timedelta(days=1)
    out: dict[str, datetime] = {}
    day = first_day
    while day <= last_day:
        if _day_matches(fields, day):
            for hour in sorted(fields[1]):
                for minute in sorted(fields[0]):
                    at = datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)
                    if start <= at < end:
                        out[f"{day.isoformat()}T{hour:02d}:{minute:02d}"] = at
        day += timedelta(days=1)
    return sorted(out.items(), key=lambda item: item[1])
