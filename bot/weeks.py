"""Weeks and seasons: the periods that points and leaderboards are kept in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.i18n import _
from bot.model import Challenge

#: A challenge's first weekly results come at its first scheduled time at least this
#: long after the opening.
FIRST_RESULTS_AFTER = timedelta(days=1)


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


def season_label(at: datetime, season_months: int, *, shown: bool = False) -> str:
    """`Q1 2026`, `season 1 of 2026`; `shown` in the language in force (else as the REST
    API gives it)."""
    day = at.astimezone(UTC).date()
    index = (day.month - 1) // season_months + 1
    if season_months == 3:
        if shown:
            # TRANSLATORS: a quarter of the year, as in Q1 2026
            return _("Q{index} {year}", index=index, year=day.year)
        return f"Q{index} {day.year}"
    if shown:
        return _("season {index} of {year}", index=index, year=day.year)
    return f"season {index} of {day.year}"


def leaderboard_period(
    period: str, week: str | None, now: datetime, season_months: int, *, shown: bool = False
) -> tuple[str, str | None, str | None]:
    """(label, first week, last week) of a leaderboard: `period` is week, season or all;
    `week`, a date in a past week, makes it that week. UserError for a date that isn't.
    The label is in the language in force when `shown` in chat (else as the REST API gives
    it)."""
    at = now
    if week is not None:
        try:
            day_in_week = date.fromisoformat(week.strip())
        except ValueError:
            raise UserError(_("`week` is a date in that week, like 2026-03-02.")) from None
        period = "week"
        at = datetime(day_in_week.year, day_in_week.month, day_in_week.day, tzinfo=UTC)
    if period == "week":
        monday = week_of(at)
        label = _("week of {monday}", monday=monday) if shown else f"week of {monday}"
        return label, monday, monday
    if period == "season":
        first, last = season_weeks(at, season_months)
        return season_label(at, season_months, shown=shown), first, last
    return (_("all time") if shown else "all time"), None, None


def week_before(end: datetime, timezone: str) -> datetime:
    """The same local time a week before `end`: weekly windows that follow each other
    tile exactly, even across a daylight-saving change (that week is an hour shorter or
    longer)."""
    local = end.astimezone(ZoneInfo(timezone))
    return (local - timedelta(days=7)).astimezone(UTC)


def results_week(challenge: Challenge, end: datetime) -> tuple[datetime, datetime]:
    """The week a results post at `end` reports on. For the first post of a challenge, the
    slot a week earlier came too soon after the opening to be posted, so the week starts
    at the opening and nothing done before the first post goes unreported."""
    start = week_before(end, challenge.settings.timezone)
    opened = challenge.opened_at
    if opened is not None and start < opened + FIRST_RESULTS_AFTER:
        start = opened
    return start, end
