"""Weeks and seasons: the periods that points and leaderboards are kept in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def week_of(at: datetime) -> str:
    """The ISO date of the Monday (UTC) that starts the week of `at`."""
    day = at.astimezone(UTC).date()
    return (day - timedelta(days=day.weekday())).isoformat()


def season_weeks(at: datetime, season_months: int) -> tuple[str, str]:
    """The first and last week keys of the season containing `at`.

    A season is a calendar block of `season_months` months starting in January; a week
    belongs to the season its Monday falls in.
    """
    day = at.astimezone(UTC).date()
    first_month = (day.month - 1) // season_months * season_months + 1
    start = date(day.year, first_month, 1)
    end_month = first_month + season_months
    end = date(day.year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1)
    first_monday = start + timedelta(days=(7 - start.weekday()) % 7)
    last_monday = end - timedelta(days=1)
    last_monday -= timedelta(days=last_monday.weekday())
    return first_monday.isoformat(), last_monday.isoformat()


def season_label(at: datetime, season_months: int) -> str:
    day = at.astimezone(UTC).date()
    index = (day.month - 1) // season_months + 1
    if season_months == 3:
        return f"Q{index} {day.year}"
    return f"season {index} of {day.year}"
