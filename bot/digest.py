"""What the posts about a challenge say: standings, weekly results, final results,
phase notices. Every function reads the store and returns neutral cards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.counting import Counting
from bot.i18n import _, n_
from bot.messages import Card
from bot.model import (
    PODIUM_RULE,
    PUBLIC_STATUSES,
    RANKING_RULE,
    Badge,
    BadgeKind,
    Challenge,
    Phase,
    Standing,
    podium_places,
)
from bot.ports import Store
from bot.privacy import tallies_sealed
from bot.render import challenge_card, idea_heading, standings_lines, when
from bot.rewards import Award, Rewards
from bot.text import display_inline, neutralize_mentions
from bot.votelog import Figures
from bot.weeks import results_week

FINAL_LINES = 20
WEEKLY_TOP = 5
RISING = 3
DISCUSSED = 3


async def standings(store: Store, challenge: Challenge, limit: int | None = None) -> list[Standing]:
    """Ranked by counted votes, highest first; a tie goes to the idea submitted earlier.
    The podium places go to the first three with votes, one per member (`podium_places`)."""
    if limit is None:
        ideas = await store.ideas(challenge.id, PUBLIC_STATUSES, ranked=True)
    else:
        ideas = await store.idea_page(
            challenge.id, PUBLIC_STATUSES, newest_first=False, limit=limit
        )
    ranked = [Standing(rank, idea, idea.vote_count) for rank, idea in enumerate(ideas, start=1)]
    return podium_places(ranked, challenge.settings.multiple_places)


async def rising_lines(
    store: Store, challenge: Challenge, start: datetime, end: datetime
) -> list[str]:
    """The ideas that gained most counted votes in [start, end), by the vote log."""
    rising = await store.rising(challenge.id, start, end, RISING)
    ideas = await store.ideas_by_ids([idea_id for idea_id, _gained in rising])
    return [
        f"{idea_heading(ideas[i])} +{gained}"
        for i, gained in rising
        if i in ideas and ideas[i].status.public
    ]


async def discussed_lines(store: Store, challenge: Challenge, limit: int = DISCUSSED) -> list[str]:
    """The ideas with most replies in their threads, as the platforms count them (never
    what was said, and never a bearing on the ranking)."""
    top = await store.conversations.most_discussed(challenge.id, limit)
    ideas = await store.ideas_by_ids([idea_id for idea_id, _activity in top])
    return [f"{idea_heading(ideas[i])} — {a.describe()}" for i, a in top if i in ideas]


async def participation(store: Store, challenge: Challenge, ideas: int | None = None) -> str:
    """Ideas, voters and counted votes; `ideas`: the count of public ideas, when the
    caller has it already."""
    if ideas is None:
        ideas = await store.count_ideas(challenge.id, PUBLIC_STATUSES)
    voters, votes = await store.challenge_participation(challenge.id)
    return " · ".join(
        (
            n_("{n} idea", "{n} ideas", ideas),
            n_("{n} voter", "{n} voters", voters),
            n_("{n} vote", "{n} votes", votes),
        )
    )


async def badge_lines(store: Store, badges: Sequence[Badge]) -> list[str]:
    """A line per badge and who earned it; a badge for an anonymous idea names nobody."""
    names = await store.members_by_ids({b.member_id for b in badges})
    secret = await anonymous_ideas(store, badges)
    lines = []
    for b in badges:
        who = _("anonymous") if b.idea_id in secret else names[b.member_id].display_name
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
    emoji = neutralize_mentions(challenge.settings.vote_emoji)
    return Card(
        _(
            "⏳ Submissions for {title} are closed",
            title=display_inline(challenge.title, 100),
        ),
        _(
            "Voting continues until {at}: react with {emoji} to the ideas you like.",
            at=when(until, challenge.settings.timezone),
            emoji=emoji,
        )
        if until
        else _("Voting continues: react with {emoji} to the ideas you like.", emoji=emoji),
    )


async def final_results(
    store: Store, rewards: Rewards, counting: Counting, challenge: Challenge, now: datetime
) -> tuple[Card, list[Award]]:
    """The podium (badges and points, once), full standings, participation, badges, and the
    vote log's head hash, which anyone can check an export of the log against. A sealed
    challenge's received votes (and 🔥) are credited now."""
    if challenge.settings.sealed:
        await counting.credit(store, challenge)
    ranked = await standings(store, challenge, limit=FINAL_LINES)
    total = await store.count_ideas(challenge.id, PUBLIC_STATUSES)
    awards = await rewards.podium(store, challenge, ranked, now)
    if challenge.settings.sealed:
        everyone = await standings(store, challenge)
        awards += await rewards.crowd_favourites(store, challenge, everyone, now)
    lines = standings_lines(ranked, sealed=False)
    if total > FINAL_LINES:
        lines.append(
            n_(
                "…and {n} more: `/ideas {slug}`",
                "…and {n} more: `/ideas {slug}`",
                total - FINAL_LINES,
                slug=challenge.slug,
            )
        )
    fields = [(_("Participation"), await participation(store, challenge, total))]
    earned = await store.badges(challenge.community_id, challenge_id=challenge.id)
    if earned:
        fields.append((_("Badges"), "\n".join(await badge_lines(store, earned))))
    entries, head = await store.chain(challenge.id)
    fields.append(
        (
            _("Vote log"),
            n_("{n} entry · head {head}", "{n} entries · head {head}", entries, head=head)
            + "\n"
            + _(
                "Moderators export it with `/export {slug} format:votes`; "
                "`cocreate audit verify` checks it.",
                slug=challenge.slug,
            ),
        )
    )
    rules = [_(RANKING_RULE)]
    if not challenge.settings.multiple_places:
        rules.append(_(PODIUM_RULE))
    rules.append(_("Thank you all for taking part!"))
    card = Card(
        _("🏆 Final results: {title}", title=display_inline(challenge.title, 100)),
        "\n".join(lines) or _("No ideas were submitted."),
        tuple(fields),
        footer=" ".join(rules),
    )
    return card, awards


@dataclass(frozen=True)
class Week:
    """What happened in a period of a challenge: the ideas published, and what the vote
    log's entries did to the counted votes. Periods that tile the challenge add up."""

    start: datetime
    end: datetime
    new_ideas: int
    votes: Figures

    @property
    def quiet(self) -> bool:
        """No new idea, and no entry that changed the counted votes."""
        return not (self.new_ideas or self.votes.added or self.votes.removed)

    def votes_text(self) -> str:
        """ "7 votes", or with removals (withdrawn, voided, merged) "votes +7 −3"."""
        v = self.votes
        if v.removed:
            # TRANSLATORS: {figures} are the votes added and removed: +7 −3
            return _("votes {figures}", figures=v.text())
        return n_("{n} vote", "{n} votes", v.added)


async def week(store: Store, challenge: Challenge, start: datetime, end: datetime) -> Week:
    added, removed, voters = await store.log_figures(challenge.id, start, end)
    new_ideas = await store.ideas_published(challenge.id, start, end)
    return Week(start, end, new_ideas, Figures(added, removed, voters))


async def quiet_week(store: Store, challenge: Challenge, end: datetime) -> bool:
    """Whether the week the results post at `end` would report on was quiet."""
    return (await week(store, challenge, *results_week(challenge, end))).quiet


def nudge(challenge: Challenge) -> Card:
    """A quiet week's post instead of its results: what members can do, and until when."""
    tz = challenge.settings.timezone
    subs, closes = challenge.submissions_close_at, challenge.voting_close_at
    steps = [_("No new ideas and no votes this week.")]
    if challenge.phase is Phase.OPEN:
        steps.append(
            _("Share an idea with `/idea submit` until {at}.", at=when(subs, tz))
            if subs
            else _("Share an idea with `/idea submit`.")
        )
    emoji = neutralize_mentions(challenge.settings.vote_emoji)
    steps.append(
        _(
            "Vote with {emoji} on the ideas you like; voting closes {at}.",
            emoji=emoji,
            at=when(closes, tz),
        )
        if closes
        else _("Vote with {emoji} on the ideas you like.", emoji=emoji)
    )
    return Card(
        _("👋 A quiet week in {title}", title=display_inline(challenge.title, 100)),
        " ".join(steps),
    )


async def weekly_results(store: Store, challenge: Challenge, end: datetime) -> Card:
    """The week up to `end`: top ideas (or sealed), new ideas, voters and votes (from the
    vote log: removals show), the rising ideas, and the badges earned."""
    start, end = results_week(challenge, end)
    sealed = tallies_sealed(challenge)
    if sealed:  # the newest ideas, not the leaders: their order would tell the tallies
        newest = await store.ideas(
            challenge.id, PUBLIC_STATUSES, newest_first=True, limit=WEEKLY_TOP
        )
        top = [Standing(0, idea, 0) for idea in newest]
    else:
        top = await standings(store, challenge, limit=WEEKLY_TOP)
    body = "\n".join(standings_lines(top, sealed=sealed)) or _("No ideas yet: be the first!")
    this = await week(store, challenge, start, end)
    fields = [
        (
            _("This week"),
            " · ".join(
                (
                    n_("{n} new idea", "{n} new ideas", this.new_ideas),
                    n_("{n} voter", "{n} voters", this.votes.voters),
                    this.votes_text(),
                )
            ),
        )
    ]
    if not sealed:
        lines = await rising_lines(store, challenge, start, end)
        if lines:
            fields.append((_("Rising"), "\n".join(lines)))
    discussed = await discussed_lines(store, challenge)
    if discussed:
        fields.append((_("Most discussed"), "\n".join(discussed)))
    earned = [
        b
        for b in await store.badges(challenge.community_id, challenge_id=challenge.id)
        if start <= b.awarded_at < end
        # 🔥 says an idea reached a number of votes: not while tallies are sealed
        and not (sealed and b.kind is BadgeKind.CROWD_FAVOURITE)
    ]
    if earned:
        fields.append((_("Badges this week"), "\n".join(await badge_lines(store, earned))))
    deadline = (
        challenge.submissions_close_at
        if challenge.phase is Phase.OPEN
        else challenge.voting_close_at
    )
    next_step = (
        _("Ideas are welcome until {at}.", at=when(deadline, challenge.settings.timezone)) + " "
        if challenge.phase is Phase.OPEN and deadline
        else ""
    )
    return Card(
        _("📊 This week in {title}", title=display_inline(challenge.title, 100)),
        body if not sealed else body + "\n" + _("Tallies stay sealed until the close."),
        tuple(fields),
        footer=next_step + _(RANKING_RULE),
    )
