"""Brigading alerts: the moderators' channel is told, with the evidence, when an idea's
votes come much faster than its challenge's usual pace, or when many of them come from
new accounts or new members.

Both rules look at the counted votes that live reaction events gave an idea (its family)
in the last `alerts.window_minutes`, by when they were cast; votes moved by a merge or
found by a read-back after downtime are not a pace. An idea needs `alerts.min_votes`
such votes to be judged; it is looked at each time it gains half of that, and once it is
busy each time it gains half of what it had (so a raid is flagged within `min_votes` × 1.5
of its votes, and judging stays a small share of the reaction path). The usual pace is
what an idea of the challenge gets in such a window, on average since the challenge
opened. An account or a membership counts as new only when the platform says how old it
is (Discord does; Slack does not). Each rule alerts once per idea.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from babel.numbers import format_decimal

from bot import i18n
from bot.agenda import Agenda
from bot.errors import log_failure
from bot.i18n import _, n_
from bot.messages import MODERATORS, Card, Post, PostKind
from bot.model import Challenge, Idea
from bot.ports import Clock, Database, RecentVote, Store
from bot.render import age, idea_heading, when
from bot.settings import AlertsSettings
from bot.text import display_inline
from bot.votes import EVENT

log = logging.getLogger(__name__)

#: The `kind` of the rows that remember which alerts were given.
ALERT = "alert"
#: Voters shown in an alert; `/mod voters` lists them all.
SHOWN = 8
#: How long a challenge read for judging is used before it is read again (its title and
#: opening time: what a judgement needs of it).
CHALLENGE_KEPT = timedelta(minutes=1)


class Rule(StrEnum):
    PACE = "pace"
    NEWCOMERS = "newcomers"


@dataclass(frozen=True)
class Finding:
    rule: Rule
    evidence: str


def is_new(vote: RecentVote, settings: AlertsSettings) -> bool:
    """Whether the voter's account, or their membership, was new when they voted."""
    account = vote.account_created_at
    joined = vote.joined_at
    return (
        account is not None and vote.at - account < timedelta(days=settings.young_account_days)
    ) or (joined is not None and vote.at - joined < timedelta(days=settings.young_member_days))


def judge(recent: Sequence[RecentVote], usual: float, settings: AlertsSettings) -> list[Finding]:
    """What looks like brigading in an idea's recent votes; `usual` is the challenge's
    counted votes per idea in a window as long."""
    n = len(recent)
    if n < settings.min_votes:
        return []
    window = _span(timedelta(minutes=settings.window_minutes))
    found = []
    if n > settings.pace_factor * max(usual, 1.0):
        found.append(
            Finding(
                Rule.PACE,
                # TRANSLATORS: {window} is a duration, such as "2 hours" or "90 minutes".
                n_(
                    "{n} vote in the last {window}, where an idea of this challenge "
                    "usually gets {usual} in that time.",
                    "{n} votes in the last {window}, where an idea of this challenge "
                    "usually gets {usual} in that time.",
                    n,
                    window=window,
                    usual=_tenths(usual),
                ),
            )
        )
    newcomers = sum(is_new(v, settings) for v in recent)
    if newcomers >= settings.young_share * n:
        found.append(
            Finding(
                Rule.NEWCOMERS,
                # TRANSLATORS: {window} is a duration, such as "2 hours" or "90 minutes".
                n_(
                    "{newcomers} of its {n} vote in the last {window} come from accounts "
                    "younger than {account_days} days or members who joined less than "
                    "{member_days} days ago.",
                    "{newcomers} of its {n} votes in the last {window} come from accounts "
                    "younger than {account_days} days or members who joined less than "
                    "{member_days} days ago.",
                    n,
                    newcomers=i18n.number(newcomers),
                    window=window,
                    account_days=i18n.number(settings.young_account_days),
                    member_days=i18n.number(settings.young_member_days),
                ),
            )
        )
    return found


def _tenths(value: float) -> str:
    """A number with one decimal, as the language in force writes it ("0.5", "0,5")."""
    return format_decimal(value, format="#,##0.0", locale=i18n.current().replace("-", "_"))


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % 60:
        return n_("{n} minute", "{n} minutes", minutes)
    return n_("{n} hour", "{n} hours", minutes // 60)


def voter_line(vote: RecentVote, timezone: str) -> str:
    """ "Kim · account 2 d · joined 3 h · voted Mon 02 Mar 10:00", by the platform's word."""
    account = vote.account_created_at
    joined = vote.joined_at
    return " · ".join(
        (
            display_inline(vote.display_name, 40),
            # TRANSLATORS: {age} is how old the voter's account was, such as "2 d".
            _("account {age}", age=age(vote.at - account)) if account else _("account age unknown"),
            # TRANSLATORS: {age} is how long ago the voter joined, such as "3 h".
            _("joined {age}", age=age(vote.at - joined)) if joined else _("join date unknown"),
            _("voted {when}", when=when(vote.at, timezone)),
        )
    )


def alert_card(
    idea: Idea, challenge: Challenge, findings: Sequence[Finding], recent: Sequence[RecentVote]
) -> Card:
    tz = challenge.settings.timezone
    latest = [voter_line(v, tz) for v in list(recent)[-SHOWN:][::-1]]
    return Card(
        _("🚨 Unusual votes on {idea}", idea=idea_heading(idea)),
        "\n".join(f.evidence for f in findings),
        (
            (_("Challenge"), display_inline(challenge.title, 100)),
            (_("Latest voters (ages when they voted)"), "\n".join(latest)),
        ),
        # TRANSLATORS: the commands stay as they are; <member> is what the moderator types.
        footer=_(
            "/mod voters #{number} lists every voter · /mod void <member> {challenge} voids "
            "a member's votes (/mod unvoid restores them)",
            number=idea.number,
            challenge=challenge.slug,
        ),
    )


class Watch:
    """Judges the ideas that gained counted votes, one batch after another, in the
    background: a batch's alerts never hold up the reaction writer."""

    def __init__(
        self, db: Database, settings: AlertsSettings, clock: Clock, agenda: Agenda
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.agenda = agenda
        self._step = max(settings.min_votes // 2, 1)
        #: counted votes each idea gained since it was last judged, and how many it needs
        self._since_judged: Counter[int] = Counter()
        self._need: dict[int, int] = {}
        self._pending: set[int] = set()
        self._running = False
        #: (idea, rule) alerts this process gave or saw given: not claimed again
        self._alerted: set[tuple[int, Rule]] = set()
        #: challenge -> (when it was read, the challenge)
        self._challenges: dict[int, tuple[datetime, Challenge]] = {}

    def notice(self, gained: Mapping[int, int]) -> bool:
        """Ideas gained counted votes; True when a `run` must be started to judge them.
        An idea is judged once it gained half of `min_votes`, and then again each time
        it gained half as many as it had in the window when last judged, so that judging
        stays a small share of the reaction path however busy it is."""
        if not self.settings.enabled:
            return False
        for head, n in gained.items():
            self._since_judged[head] += n
            if self._since_judged[head] >= self._need.get(head, self._step):
                self._since_judged[head] = 0
                self._pending.add(head)
        return bool(self._pending) and not self._running

    async def run(self) -> None:
        self._running = True
        try:
            while self._pending:
                heads, self._pending = self._pending, set()
                try:
                    await self._judge(heads)
                except Exception:
                    log_failure(log, "judging the votes of %d ideas for alerts failed", len(heads))
        finally:
            self._running = False

    async def _judge(self, heads: Collection[int]) -> None:
        now = self.clock.now()
        window = timedelta(minutes=self.settings.window_minutes)
        post_ids: list[int] = []
        claimed: set[tuple[int, Rule]] = set()
        async with self.db.transaction() as store:
            recent = await store.recent_gains(heads, now - window, EVENT)
            judged = {
                h: votes for h, votes in recent.items() if len(votes) >= self.settings.min_votes
            }
            if not judged:
                return
            ideas = await store.ideas_by_ids(judged)
            paces = await self._usual_paces(store, {i.challenge_id for i in ideas.values()}, now)
            # each community read once, however many of its ideas are judged
            communities = await store.communities_by_ids(
                {c.community_id for c, _ in paces.values()}
            )
            for head, votes in judged.items():
                # Judged again once it gained half as many votes as it has now.
                self._need[head] = max(len(votes) // 2, self._step)
                idea = ideas[head]
                if idea.challenge_id not in paces:
                    continue  # deleted
                challenge, usual = paces[idea.challenge_id]
                community = communities[challenge.community_id]
                # A post in the moderators' channel: in the community's language.
                with i18n.speaking(community.locale):
                    judged_now = judge(votes, usual, self.settings)
                findings = []
                for f in judged_now:
                    if (head, f.rule) in self._alerted:
                        continue
                    claimed.add((head, f.rule))
                    post = await store.claim_post(
                        challenge.id,
                        ALERT,
                        f"{f.rule}:{head}",
                        now,
                        self.agenda.instance,
                        now,
                        state="sent",
                    )
                    if post is not None:
                        findings.append(f)
                if findings:
                    log.warning(
                        "brigading alert on idea %d: %s", head, ", ".join(f.rule for f in findings)
                    )
                    with i18n.speaking(community.locale):
                        card = alert_card(idea, challenge, findings, votes)
                    post_ids += await self.agenda.enqueue(
                        store, challenge.id, [Post(MODERATORS, PostKind.NOTICE, card)], now
                    )
        self._alerted |= claimed  # by us now, or by another process before
        await self.agenda.send(post_ids)

    async def _usual_paces(
        self, store: Store, challenge_ids: set[int], now: datetime
    ) -> dict[int, tuple[Challenge, float]]:
        """These challenges, each with the counted votes an idea of it gets in a window, on
        average since it opened (within the first window: all of them, so that an opening
        burst does not make every idea look fast)."""
        window = timedelta(minutes=self.settings.window_minutes)
        kept = self._challenges
        stale = {c for c in challenge_ids if c not in kept or kept[c][0] < now - CHALLENGE_KEPT}
        for challenge in await store.challenges_by_ids(stale) if stale else []:
            kept[challenge.id] = (now, challenge)
        out = {}
        for challenge_id in challenge_ids & kept.keys():
            challenge = kept[challenge_id][1]
            ideas, votes = await store.counted_votes(challenge_id)
            age = max(now - (challenge.opened_at or now), window)
            out[challenge_id] = (challenge, votes / max(ideas, 1) / (age / window))
        return out
