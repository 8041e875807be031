"""The brand report: the week's figures against the week before, a chart, and the export."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.chart import activity_chart
from bot.digest import standings
from bot.export import to_csv
from bot.messages import Attachment, Card
from bot.model import Challenge
from bot.ports import Store
from bot.render import idea_heading, plural
from bot.text import display_inline, slugify
from bot.weeks import results_week, week_before


def trend(now: int, before: int) -> str:
    if now == before:
        return f"{now} (same as the week before)"
    sign = "▲" if now > before else "▼"
    return f"{now} ({sign}{abs(now - before)} on the week before)"


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


async def brand_report(
    store: Store, challenge: Challenge, end: datetime, *, final: bool = False
) -> tuple[Card, tuple[Attachment, ...]]:
    """The week to `end` against the week before, with a chart and the CSV export; the
    `final` one comes with the final results, and its files have names of their own."""
    start, end = results_week(challenge, end)
    before = week_before(start, challenge.settings.timezone)
    ideas, voters, votes = await store.window_figures(challenge.id, start, end)
    ideas_0, voters_0, votes_0 = await store.window_figures(challenge.id, before, start)
    active, earlier = await store.contributors(challenge.id, start, end)
    active_0, _ = await store.contributors(challenge.id, before, start)
    top = await standings(store, challenge, limit=5)
    rising = await store.rising(challenge.id, start, end, 3)
    rising_ideas = await store.ideas_by_ids([i for i, _ in rising])
    fields = [
        ("New ideas", trend(ideas, ideas_0)),
        ("Active members", trend(len(active), len(active_0))),
        ("Votes", trend(votes, votes_0)),
        ("Voters", trend(voters, voters_0)),
        (
            "Contributors",
            f"{plural(len(active & earlier), 'returning member')} · "
            f"{plural(len(active - earlier), 'new member')}",
        ),
        ("Top ideas", "\n".join(f"{idea_heading(s.idea)} — {s.votes}" for s in top) or "none yet"),
    ]
    if rising:
        fields.append(
            (
                "Rising",
                "\n".join(
                    f"{idea_heading(rising_ideas[i])} +{n}" for i, n in rising if i in rising_ideas
                ),
            )
        )
    tz = ZoneInfo(challenge.settings.timezone)
    vote_times, idea_times = await store.activity_times(challenge.id)
    opened = (challenge.opened_at or end).astimezone(tz).date()
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    days = _days(max(opened, last - timedelta(days=27)), last)
    per_day_votes = Counter(t.astimezone(tz).date() for t in vote_times)
    per_day_ideas = Counter(t.astimezone(tz).date() for t in idea_times)
    png = activity_chart(
        challenge.title,
        days,
        [per_day_votes[d] for d in days],
        [per_day_ideas[d] for d in days],
        [(f"#{s.idea.number} {s.idea.title}", s.votes) for s in top],
    )
    stem = f"{slugify(challenge.title) or 'challenge'}-{last.isoformat()}" + (
        "-final" if final else ""
    )
    files = (
        Attachment(f"{stem}-activity.png", png, "image/png"),
        Attachment(f"{stem}-ideas.csv", to_csv(await store.export_rows(challenge.id)), "text/csv"),
    )
    card = Card(
        f"📈 {'Final brand report' if final else 'Brand report'}: "
        f"{display_inline(challenge.title, 100)}",
        f"The {'last ' if final else ''}week to {last:%a %d %b %Y}, compared with the week "
        f"before{'; the challenge is closed' if final else ''}.",
        tuple(fields),
        footer="The chart shows votes and ideas per day; the CSV holds every idea.",
    )
    return card, files
