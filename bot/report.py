"""The brand report: a week's figures against the week before (the first week has none), or,
with the final results, the whole challenge week by week; a chart, and the ideas as CSV.

Vote figures come from the vote log, so the weeks add up to the final totals. While the
tallies are sealed it shows no idea's votes and no order by votes (overall counts only),
and the CSV, posted to a channel, names no author of an anonymous idea."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot import i18n
from bot.chart import activity_chart
from bot.digest import (
    WEEKLY_TOP,
    Week,
    discussed_lines,
    participation,
    rising_lines,
    standings,
    week,
)
from bot.export import to_csv
from bot.i18n import _, n_
from bot.messages import Attachment, Card
from bot.model import Challenge, Standing
from bot.periods import results_periods
from bot.ports import Store
from bot.privacy import tallies_sealed
from bot.render import idea_heading, when
from bot.text import display_inline, slugify
from bot.weeks import results_week

#: The weekly report's chart shows four weeks at most.
CHART_SPAN = timedelta(days=27)


def trend(now: int, before: int | None, shown: str | None = None) -> str:
    """`now` (as `shown`) against the week before; None: there was no week before."""
    text = i18n.number(now) if shown is None else shown
    if before is None:
        return _("{figure} (first week)", figure=text)
    if now == before:
        return _("{figure} (same as the week before)", figure=text)
    sign = "▲" if now > before else "▼"
    return _(
        # TRANSLATORS: {change} is an arrow and a number: ▲3
        "{figure} ({change} on the week before)",
        figure=text,
        change=sign + i18n.number(abs(now - before)),
    )


def _votes(w: Week) -> str:
    v = w.votes
    # TRANSLATORS: {figures} are the votes added and removed: +7 −3
    return _("{figures}, net {net}", figures=v.text(), net=v.net) if v.removed else v.text()


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _contributors(active: set[int], returning: set[int]) -> str:
    return (
        n_("{n} returning member", "{n} returning members", len(returning))
        + " · "
        + n_("{n} new member", "{n} new members", len(active - returning))
    )


async def brand_report(
    store: Store, challenge: Challenge, end: datetime, *, final: bool = False
) -> tuple[Card, tuple[Attachment, ...]]:
    """The week to `end` against the week before, with a chart and the CSV export. The
    `final` one, with the final results, covers the whole challenge: `end` is then when it
    is made (read-backs at the close are recorded after it), and its files have names of
    their own."""
    tz = ZoneInfo(challenge.settings.timezone)
    sealed = tallies_sealed(challenge)
    top = [] if sealed else await standings(store, challenge, limit=WEEKLY_TOP)
    if final:
        start = challenge.opened_at or challenge.created_at
        opened, last = start.astimezone(tz), (challenge.closed_at or end).astimezone(tz)
        fields = await _whole(store, challenge, start, end)
        zone = challenge.settings.timezone
        body = _(
            "The whole challenge, from {start} to {end}.",
            start=when(start, zone),
            end=when(challenge.closed_at or end, zone),
        )
        days = _days(opened.date(), last.date())
    else:
        start, end = results_week(challenge, end)
        last = (end - timedelta(microseconds=1)).astimezone(tz)
        first = challenge.opened_at is None or start <= challenge.opened_at
        fields = await _week(store, challenge, start, end, sealed, first=first)
        to = when(end, challenge.settings.timezone)
        body = (
            _("The first week to {end}.", end=to)
            if first
            else _("The week to {end}, compared with the week before.", end=to)
        )
        days = _days(max(start.astimezone(tz).date(), last.date() - CHART_SPAN), last.date())
    fields.append((_("Top ideas"), _top(top, sealed)))
    discussed = await discussed_lines(store, challenge, WEEKLY_TOP)
    if discussed:
        fields.append((_("Most discussed"), "\n".join(discussed)))
    png = await _chart(store, challenge, days, top, sealed)
    stem = f"{slugify(challenge.title) or 'challenge'}-{last.date().isoformat()}" + (
        "-final" if final else ""
    )
    rows = await store.export_rows(challenge.id)
    files = (
        Attachment(f"{stem}-activity.png", png, "image/png"),
        Attachment(f"{stem}-ideas.csv", to_csv(rows, public=True, sealed=sealed), "text/csv"),
    )
    name = display_inline(challenge.title, 100)
    card = Card(
        _("📈 Final brand report: {title}", title=name)
        if final
        else _("📈 Brand report: {title}", title=name),
        body + (" " + _("Tallies stay sealed until the close.") if sealed else ""),
        tuple(fields),
        footer=_("The chart shows votes and ideas per day; the CSV holds every idea."),
    )
    return card, files


async def _week(
    store: Store,
    challenge: Challenge,
    start: datetime,
    end: datetime,
    sealed: bool,
    *,
    first: bool,
) -> list[tuple[str, str]]:
    """The week's figures against the week before, which the first week has not."""
    this = await week(store, challenge, start, end)
    active, returning = await store.contributors(challenge.id, start, end)
    before: Week | None = None  # none before the first week
    active_before: int | None = None
    if not first:
        before = await week(store, challenge, *results_week(challenge, start))
        active_before = len((await store.contributors(challenge.id, before.start, start))[0])
    fields = [
        (_("New ideas"), trend(this.new_ideas, before.new_ideas if before else None)),
        (_("Active members"), trend(len(active), active_before)),
        (_("Votes"), trend(this.votes.net, before.votes.net if before else None, _votes(this))),
        (_("Voters"), trend(this.votes.voters, before.votes.voters if before else None)),
        (_("Contributors"), _contributors(active, returning)),
    ]
    if not sealed:
        rising = await rising_lines(store, challenge, start, end)
        if rising:
            fields.append((_("Rising"), "\n".join(rising)))
    return fields


async def _whole(
    store: Store, challenge: Challenge, start: datetime, end: datetime
) -> list[tuple[str, str]]:
    """The whole challenge: the totals of the final results, and each week's figures."""
    active, returning = await store.contributors(challenge.id, start, end)
    periods = results_periods(challenge, end)
    lines = []
    for n, (a, b) in enumerate(periods, start=1):
        w = await week(store, challenge, a, b)
        ideas = n_("{n} new idea", "{n} new ideas", w.new_ideas)
        # TRANSLATORS: {figures} are the votes added and removed: +7 −3
        votes = _("votes {figures}", figures=w.votes.text())
        if n == len(periods):
            line = _(
                "Week {week}, to the close: {ideas} · {votes}",
                week=i18n.number(n),
                ideas=ideas,
                votes=votes,
            )
        else:
            line = _(
                "Week {week}, to {end}: {ideas} · {votes}",
                week=i18n.number(n),
                end=when(b, challenge.settings.timezone),
                ideas=ideas,
                votes=votes,
            )
        lines.append(line)
    return [
        (
            _("Totals"),
            f"{await participation(store, challenge)} · "
            + n_("{n} active member", "{n} active members", len(active)),
        ),
        (_("Week by week"), "\n".join(lines) or _("no weeks")),
        (_("Contributors"), _contributors(active, returning)),
    ]


def _top(top: Sequence[Standing], sealed: bool) -> str:
    if sealed:
        return _("sealed until the close")
    return "\n".join(f"{idea_heading(s.idea)} — {i18n.number(s.votes)}" for s in top) or _(
        "none yet"
    )


async def _chart(
    store: Store, challenge: Challenge, days: list[date], top: Sequence[Standing], sealed: bool
) -> bytes:
    tz = ZoneInfo(challenge.settings.timezone)
    vote_times, idea_times = await store.activity_times(challenge.id)
    per_day_votes = Counter(t.astimezone(tz).date() for t in vote_times)
    per_day_ideas = Counter(t.astimezone(tz).date() for t in idea_times)
    return activity_chart(
        challenge.title,
        days,
        [per_day_votes[d] for d in days],
        [per_day_ideas[d] for d in days],
        [(f"#{s.idea.number} {s.idea.title}", s.votes) for s in top],
        sealed=sealed,
    )
