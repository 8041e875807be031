"""What the posts about a challenge say: standings, weekly results, final results,
phase notices. Every function reads the store and returns neutral cards."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.messages import Card
from bot.model import (
    PUBLIC_STATUSES,
    RANKING_RULE,
    Badge,
    BadgeKind,
    Challenge,
    Phase,
    Standing,
)
from bot.ports import Store
from bot.render import challenge_card, idea_heading, plural, standings_lines, when
from bot.rewards import Award, Rewards
from bot.text import display_inline, neutralize_mentions
from bot.weeks import results_week

FINAL_LINES = 20
WEEKLY_TOP = 5
RISING = 3


async def standings(store: Store, challenge: Challenge, limit: int | None = None) -> list[Standing]:
    """Ranked by counted votes, highest first; a tie goes to the idea submitted earlier."""
    ideas = await store.ideas(challenge.id, PUBLIC_STATUSES, ranked=True, limit=limit)
    return [Standing(rank, idea, idea.vote_count) for rank, idea in enumerate(ideas, start=1)]


async def participation(store: Store, challenge: Challenge) -> str:
    ideas = await store.count_ideas(challenge.id, PUBLIC_STATUSES)
    voters, votes = await store.challenge_participation(challenge.id)
    return f"{plural(ideas, 'idea')} · {plural(voters, 'voter')} · {plural(votes, 'vote')}"


async def badge_lines(store: Store, badges: Sequence[Badge]) -> list[str]:
    """A line per badge and who earned it; a badge for an anonymous idea names nobody."""
    names = await store.members_by_ids({b.member_id for b in badges})
    secret = await anonymous_ideas(store, badges)
    lines = []
    for b in badges:
        who = "anonymous" if b.idea_id in secret else names[b.member_id].display_name
        lines.append(f"{b.kind.label} — {display_inline(who, 60)}")
    return lines


async def anonymous_ideas(store: Store, badges: Sequence[Badge]) -> set[int]:
    """The ids of the anonymous ideas among those these badges were earned with."""
    ideas = await store.ideas_by_ids({b.idea_id for b in badges if b.idea_id is not None})
    return {i.id for i in ideas.values() if i.anonymous}


def announcement(challenge: Challenge) -> Card:
    card = challenge_card(challenge)
    return Card("📣 " + card.title, card.body, card.fields, card.footer)


def submissions_closed_notice(challenge: Challenge) -> Card:
    until = challenge.voting_close_at
    voting = f" until {when(until, challenge.settings.timezone)}" if until else ""
    return Card(
        f"⏳ Submissions for {display_inline(challenge.title, 100)} are closed",
        f"Voting continues{voting}: react with "
        f"{neutralize_mentions(challenge.settings.vote_emoji)} to the ideas "
        "you like.",
    )


async def final_results(
    store: Store, rewards: Rewards, challenge: Challenge, now: datetime
) -> tuple[Card, list[Award]]:
    """The podium (badges and points, once), full standings, participation and badges."""
    ranked = await standings(store, challenge, limit=FINAL_LINES)
    total = await store.count_ideas(challenge.id, PUBLIC_STATUSES)
    podium = [s.idea for s in ranked if s.on_podium]
    awards = await rewards.podium(store, challenge, podium, now)
    lines = standings_lines(ranked, sealed=False)
    if total > FINAL_LINES:
        lines.append(f"…and {total - FINAL_LINES} more: `/ideas {challenge.slug}`")
    fields = [("Participation", await participation(store, challenge))]
    earned = await store.badges(challenge.community_id, challenge_id=challenge.id)
    if earned:
        fields.append(("Badges", "\n".join(await badge_lines(store, earned))))
    card = Card(
        f"🏆 Final results: {display_inline(challenge.title, 100)}",
        "\n".join(lines) or "No ideas were submitted.",
        tuple(fields),
        footer=RANKING_RULE + " Thank you all for taking part!",
    )
    return card, awards


async def weekly_results(store: Store, challenge: Challenge, end: datetime) -> Card:
    """The week up to `end`: top ideas (or sealed), new ideas, voters and votes, the
    rising ideas, and the badges earned."""
    start, end = results_week(challenge, end)
    sealed = challenge.settings.sealed and challenge.phase is not Phase.CLOSED
    if sealed:  # the newest ideas, not the leaders: their order would tell the tallies
        newest = await store.ideas(
            challenge.id, PUBLIC_STATUSES, newest_first=True, limit=WEEKLY_TOP
        )
        top = [Standing(0, idea, 0) for idea in newest]
    else:
        top = await standings(store, challenge, limit=WEEKLY_TOP)
    body = "\n".join(standings_lines(top, sealed=sealed)) or "No ideas yet: be the first!"
    new_ideas, voters, votes = await store.window_figures(challenge.id, start, end)
    fields = [
        (
            "This week",
            f"{plural(new_ideas, 'new idea')} · {plural(voters, 'voter')} · "
            f"{plural(votes, 'vote')}",
        )
    ]
    if not sealed:
        rising = await store.rising(challenge.id, start, end, RISING)
        ideas = await store.ideas_by_ids([idea_id for idea_id, _ in rising])
        lines = [
            f"{idea_heading(ideas[i])} +{gained}"
            for i, gained in rising
            if i in ideas and ideas[i].status.public
        ]
        if lines:
            fields.append(("Rising", "\n".join(lines)))
    earned = [
        b
        for b in await store.badges(challenge.community_id, challenge_id=challenge.id)
        if start <= b.awarded_at < end
        # 🔥 says an idea reached a number of votes: not while tallies are sealed
        and not (sealed and b.kind is BadgeKind.CROWD_FAVOURITE)
    ]
    if earned:
        fields.append(("Badges this week", "\n".join(await badge_lines(store, earned))))
    deadline = (
        challenge.submissions_close_at
        if challenge.phase is Phase.OPEN
        else challenge.voting_close_at
    )
    next_step = (
        f"Ideas are welcome until {when(deadline, challenge.settings.timezone)}. "
        if challenge.phase is Phase.OPEN and deadline
        else ""
    )
    return Card(
        f"📊 This week in {display_inline(challenge.title, 100)}",
        body if not sealed else body + "\nTallies stay sealed until the close.",
        tuple(fields),
        footer=next_step + RANKING_RULE,
    )
