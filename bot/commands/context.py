"""What a command handler works with: one transaction, the caller, and lookups that
never cross from one community into another."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import i18n, logs
from bot.counting import Counting
from bot.errors import PermissionDenied, UserError
from bot.events import BadgesAwarded, Event, IdeasChanged, ScheduleChanged
from bot.i18n import N_, _, n_
from bot.messages import Actor
from bot.model import Challenge, Community, Idea, Member, Phase
from bot.ports import AuditEntry, Store
from bot.render import platform_name
from bot.rewards import Award, Rewards
from bot.settings import Settings
from bot.text import display_inline
from bot.venues import venue

#: the question asked when a command names no challenge and several fit, by what the
#: command was doing (the older `doing=` argument of `Context.challenge`)
WHICH_CHALLENGE = {
    "": N_("Which challenge?"),
    "to edit": N_("Which challenge to edit?"),
    "to open": N_("Which challenge to open?"),
    "to advance": N_("Which challenge to advance?"),
    "to close": N_("Which challenge to close?"),
    "to delete": N_("Which challenge to delete?"),
    "to post": N_("Which challenge to post?"),
    "to export": N_("Which challenge to export?"),
    "to submit to": N_("Which challenge to submit to?"),
}


@dataclass
class Context:
    store: Store
    #: whose challenges, ideas, points and log the command works on: the organisation's
    #: home when the community is linked (bot/organisations.py), else its own community
    community: Community
    member: Member
    actor: Actor
    channel_id: str
    now: datetime
    settings: Settings
    rewards: Rewards
    counting: Counting
    #: the community the command was typed in (its members, mentions and channels)
    here: Community
    #: what the command changed: their posts are claimed in its transaction, and the
    #: bus hands them on once it has committed (bot/events.py)
    events: list[Event] = field(default_factory=list)

    @property
    def venue(self) -> str:
        """The channel the command was typed in, as the challenge names its venues."""
        return venue(self.channel_id, self.here.id, self.community.id)

    def venues(self, channel_ids: Collection[str]) -> list[str]:
        """Channels of this community as the challenge names its venues."""
        return [venue(c, self.here.id, self.community.id) for c in channel_ids]

    @property
    def locale(self) -> str:
        """The language of the caller's own answers and direct messages: their choice,
        their platform's, the community's, else English."""
        return i18n.resolve(
            self.member.locale, self.actor.locale, self.here.locale, self.community.locale
        )

    def publicly(self) -> AbstractContextManager[str]:
        """Speak the community's language inside the block: public posts are written in it,
        whoever ran the command."""
        return i18n.speaking(self.community.locale)

    @property
    def is_moderator(self) -> bool:
        return self.actor.is_moderator

    @property
    def platform_name(self) -> str:
        """The community's platform as people call it ("Slack")."""
        return platform_name(self.here.platform)

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def changed(self, *idea_ids: int) -> None:
        """These ideas' posts are shown again as they are, once the command has committed."""
        self.emit(IdeasChanged(frozenset(idea_ids)))

    def awarded(self, awards: Sequence[Award]) -> None:
        if awards:
            self.emit(BadgesAwarded(tuple(awards)))

    def reschedule(self) -> None:
        """Deadlines or phases changed: the agenda runs once the command has committed."""
        self.emit(ScheduleChanged(self.community.id))

    def require_moderator(self, refusal: str = "") -> None:
        """Refuse a member who is not a moderator, with a whole sentence already
        translated (`_("Only moderators can merge ideas.")`)."""
        if not self.is_moderator:
            raise PermissionDenied(refusal or _("Only moderators can do that."))

    async def audit(self, action: str, target: str, detail: str = "") -> None:
        source = None if self.here.id == self.community.id else self.here.id
        entry = AuditEntry(self.member.id, action, target, detail, self.now, source)
        await self.store.audit(self.community.id, entry)

    # -- lookups -----------------------------------------------------------------

    async def challenge(
        self,
        ref: str | None,
        fits: Callable[[Challenge], bool] | None = None,
        doing: str = "",
        *,
        question: str | None = None,
    ) -> Challenge:
        """A challenge by slug or title; when omitted, the one challenge that `fits` the
        command (by default: one not closed, else any), preferring one running in this
        channel. The command's log lines name it from here on. `question` is what an error
        asks when several fit, a whole translated sentence (`_("Which challenge to open?")`);
        `doing` is the older way ("to open"), one of `WHICH_CHALLENGE`'s keys."""
        if question is None:
            question = _(WHICH_CHALLENGE.get(doing.strip(), WHICH_CHALLENGE[""]))
        found = await self._challenge(ref, fits, question)
        logs.note(challenge=found.slug)
        return found

    async def _challenge(
        self, ref: str | None, fits: Callable[[Challenge], bool] | None, question: str
    ) -> Challenge:
        found = await self.store.challenges(self.community.id)
        if ref is None or not ref.strip():
            return self._only_fitting(found, fits, question)
        key = ref.strip().strip("\"'“”").casefold()
        for c in found:
            if key in (c.slug.casefold(), c.title.casefold()):
                return c
        prefix = [c for c in found if c.title.casefold().startswith(key)]
        if len(prefix) == 1:
            return prefix[0]
        called = display_inline(ref, 60)
        if not found:
            raise UserError(
                _("No challenge called '{called}' here. Challenges: none yet.", called=called)
            )
        names = ", ".join(f"`{c.slug}`" for c in found[:5])
        raise UserError(
            _(
                "No challenge called '{called}' here. Challenges: {names}.",
                called=called,
                names=names,
            )
        )

    def _only_fitting(
        self, found: list[Challenge], fits: Callable[[Challenge], bool] | None, question: str
    ) -> Challenge:
        """The challenge a command means when none is named: the only one that fits the
        command in the community, else the only one of those running in this channel,
        running at all, or with this channel as a venue. When none fits, the same among the
        challenges not closed (else all), so that the command can say why the one found
        does not fit ("hasn't opened yet")."""
        live = [c for c in found if c.phase is not Phase.CLOSED]
        fitting = [c for c in found if fits(c)] if fits is not None else []
        candidates = fitting or live or found
        if len(candidates) == 1:
            return candidates[0]
        for narrowed in (
            [c for c in candidates if self.venue in c.venues and c.phase.running],
            [c for c in candidates if c.phase.running],
            [c for c in candidates if self.venue in c.venues],
        ):
            if len(narrowed) == 1:
                return narrowed[0]
        if not found:
            raise UserError(
                _("There is no challenge yet. Moderators start one with `/challenge create`.")
            )
        options = candidates
        shown = options[:5]
        names = ", ".join(f"`{c.slug}`" for c in shown)
        if len(options) > len(shown):
            more = len(options) - len(shown)
            name_one = n_(
                "Name one of: {names} and {n} more.",
                "Name one of: {names} and {n} more.",
                more,
                names=names,
            )
        else:
            name_one = _("Name one of: {names}.", names=names)
        raise UserError(f"{question} {name_one}")

    async def idea(self, number: int) -> Idea:
        """An idea of this community that the caller may see."""
        idea = await self.store.idea_by_number(self.community.id, number)
        # Withdrawn and merged ideas were public once, and their posts still show them.
        if idea is None or not (
            idea.published_at is not None or self.is_moderator or idea.author_id == self.member.id
        ):
            raise UserError(
                _("There is no idea #{number} here. `/ideas` lists the ideas.", number=number)
            )
        return idea

    async def challenge_of(self, idea: Idea) -> Challenge:
        for challenge in await self.store.challenges(self.community.id):
            if challenge.id == idea.challenge_id:
                logs.note(challenge=challenge.slug)
                return challenge
        raise UserError(
            _("Idea #{number} belongs to a challenge that was deleted.", number=idea.number)
        )

    async def target_member(self, ref: str) -> Member:
        """A member of this community by platform id or display name."""
        member = await self.store.member_by_external(self.here.id, ref)
        if member is not None:
            return member
        named = await self.store.members_named(self.here.id, ref)
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise UserError(
                _(
                    "Several members are called '{name}'; mention them instead.",
                    name=display_inline(ref, 40),
                )
            )
        raise UserError(
            _("I don't know a member '{name}' in this community.", name=display_inline(ref, 40))
        )

    async def recount(
        self,
        challenge: Challenge,
        heads: Collection[int],
        change: Callable[[], Awaitable[None]],
        *,
        action: str,
        effects: tuple[str, str],
        subject: int | None = None,
    ) -> dict[int, set[int]]:
        """Make a change to ideas or votes that moves counted votes, and record in the vote
        log, member by member, what it moved (about `subject`, else each head itself).
        Returns who counts for each head afterwards."""
        await self.store.lock_ideas(heads)
        before = await self.counting.counted(self.store, heads, challenge)
        await change()
        after = await self.counting.counted(self.store, heads, challenge)
        entries = self.counting.differences(
            before, after, subject=subject, action=action, now=self.now, effects=effects
        )
        named = set(heads) | ({subject} if subject is not None else set())
        ideas = await self.store.ideas_by_ids(named)
        await self.counting.record(self.store, self.community, challenge, entries, ideas)
        return after

    def timezone(self, challenge: Challenge | None = None) -> ZoneInfo:
        return ZoneInfo(
            challenge.settings.timezone if challenge else self.settings.core.default_timezone
        )
