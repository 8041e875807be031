"""The repository of the core's `Store` port, in SQLAlchemy Core, inside one transaction."""

from __future__ import annotations

import bisect
import functools
import json
import secrets
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    and_,
    case,
    delete,
    func,
    insert,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.engine import Dialect, Row
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from bot.badge_news import Awarded
from bot.messages import Actor, CommunityRef, IdeaPostRef
from bot.model import (
    PUBLIC_STATUSES,
    Badge,
    BadgeKind,
    Challenge,
    ChallengeSettings,
    Community,
    Idea,
    IdeaStatus,
    LeaderboardRow,
    Member,
    Phase,
)
from bot.ports import (
    AuditEntry,
    LogEntry,
    PointsDelta,
    PointWeights,
    PostTarget,
    ReactionState,
    Received,
    RecentVote,
    VoteRow,
)
from bot.text import Candidates
from bot.votelog import GENESIS
from storage import idea_texts, month_points
from storage import statements as sql
from storage.accounts import SqlAccounts
from storage.api_reads import ApiReadRepository
from storage.api_tokens import ApiTokenRepository
from storage.conversations import SqlConversations
from storage.finding import SqlFinding
from storage.followups import SqlFollowups
from storage.hot_commands import CHALLENGE_COLUMNS, CommandSql
from storage.hot_votes import Hot, hot
from storage.loop import SqlLoop
from storage.member_data import SqlMemberData
from storage.organisations import SqlOrganisations
from storage.rounds import SqlRounds
from storage.schedule_store import ScheduleRepository
from storage.schema import (
    audit_log,
    badges,
    challenges,
    communities,
    idea_posts,
    ideas,
    member_month_points,
    member_week_points,
    members,
    reaction_log,
    received_month_points,
    received_points,
    venues,
    voids,
    vote_chains,
    votes,
)
from storage.webhooks import SqlWebhooks

_CHUNK = 500


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _community(row: Row[Any]) -> Community:
    return Community(row.id, row.platform, row.external_id, row.name, row.audit_key, row.locale)


def _member(row: Row[Any]) -> Member:
    return Member(
        id=row.id,
        community_id=row.community_id,
        external_id=row.external_id,
        display_name=row.display_name,
        is_bot=row.is_bot,
        first_seen_at=row.first_seen_at,
        account_created_at=row.account_created_at,
        joined_at=row.joined_at,
        blocked=row.blocked,
        locale=row.locale,
        platform_locale=row.platform_locale,
    )


def _member_of(r: Sequence[Any], time: Callable[[Any], Any]) -> Member:
    """A member from a row of the hot path's `MEMBER_COLUMNS` (storage/hot_votes.py)."""
    return Member(
        id=r[0],
        community_id=r[1],
        external_id=r[2],
        display_name=r[3],
        is_bot=bool(r[4]),
        first_seen_at=time(r[5]),
        account_created_at=time(r[6]),
        joined_at=time(r[7]),
        blocked=bool(r[8]),
        locale=r[10],
        platform_locale=r[11],
    )


#: The columns of an `Idea`, in the order of its fields (`_idea_of`).
_IDEA_COLUMNS = (
    ideas.c.id,
    ideas.c.community_id,
    ideas.c.challenge_id,
    ideas.c.number,
    ideas.c.title,
    ideas.c.description,
    ideas.c.author_id,
    ideas.c.anonymous,
    ideas.c.status,
    ideas.c.status_note,
    ideas.c.merged_into_id,
    ideas.c.vote_count,
    ideas.c.submitted_at,
    ideas.c.published_at,
    ideas.c.first_foreign_vote_at,
    ideas.c.source_url,
)

#: What `SqlStore.add_idea` takes.
_NEW_IDEA_VALUES = frozenset(
    {
        "community_id",
        "challenge_id",
        "number",
        "title",
        "description",
        "author_id",
        "anonymous",
        "status",
        "submitted_at",
        "published_at",
        "updated_at",
    }
)

#: Rows fetched at a time by the queries that stream long lists.
_STREAM_ROWS = 2000


def _same(value: Any) -> Any:
    return value


def _idea_of(row: Sequence[Any], time: Callable[[Any], Any] = _same) -> Idea:
    """An idea from a row of `_IDEA_COLUMNS` (by position: long lists are built fast);
    `time` reads the driver's times where SQLAlchemy did not (the hot path's rows)."""
    (
        id_,
        community_id,
        challenge_id,
        number,
        title,
        description,
        author_id,
        anonymous,
        status,
        status_note,
        merged_into_id,
        vote_count,
        submitted_at,
        published_at,
        first_foreign_vote_at,
        source_url,
    ) = row
    submitted = time(submitted_at)
    return Idea(
        id=id_,
        community_id=community_id,
        challenge_id=challenge_id,
        number=number,
        title=title,
        description=description,
        author_id=author_id,
        anonymous=bool(anonymous),
        status=IdeaStatus(status),
        status_note=status_note,
        merged_into_id=merged_into_id,
        vote_count=vote_count,
        submitted_at=submitted,
        # Published on submission, as most are: one time object for both (a challenge's
        # full list holds 100,000 of them).
        published_at=submitted if published_at == submitted_at else time(published_at),
        first_foreign_vote_at=time(first_foreign_vote_at),
        source_url=source_url,
    )


def _idea(row: Row[Any]) -> Idea:
    return Idea(
        id=row.id,
        community_id=row.community_id,
        challenge_id=row.challenge_id,
        number=row.number,
        title=row.title,
        description=row.description,
        author_id=row.author_id,
        anonymous=row.anonymous,
        status=IdeaStatus(row.status),
        status_note=row.status_note,
        merged_into_id=row.merged_into_id,
        vote_count=row.vote_count,
        submitted_at=row.submitted_at,
        published_at=row.published_at,
        first_foreign_vote_at=row.first_foreign_vote_at,
        source_url=row.source_url,
    )


def settings_columns(s: ChallengeSettings) -> dict[str, Any]:
    return {
        "title": s.title,
        "brief": s.brief,
        "terms": s.terms,
        "submissions_close": s.submissions_close,
        "voting_close": s.voting_close,
        "vote_emoji": s.vote_emoji,
        "ideas_per_member": s.ideas_per_member,
        "review": s.review,
        "self_votes": s.self_votes,
        "min_account_age_s": int(s.min_account_age.total_seconds()),
        "min_member_age_s": int(s.min_member_age.total_seconds()),
        "sealed": s.sealed,
        "schedule": s.schedule,
        "timezone": s.timezone,
        "report_venue": s.report_venue,
        "multiple_places": s.multiple_places,
        "repeat": s.repeat,
        "reminder_s": None if s.reminder is None else int(s.reminder.total_seconds()),
    }


def _challenge(row: Row[Any], venue_ids: tuple[str, ...]) -> Challenge:
    """A challenge from a Core row (its times already aware): the driver's mapping."""
    return _challenge_of(tuple(getattr(row, n) for n in _CHALLENGE_FIELDS), venue_ids, _as_is)


_CHALLENGE_FIELDS = tuple(name.strip() for name in CHALLENGE_COLUMNS.split(","))


def _as_is(value: Any) -> Any:
    return value


def _challenge_of(
    row: Sequence[Any], venue_ids: tuple[str, ...], time: Callable[[Any], Any]
) -> Challenge:
    """A challenge from a row of `hot_commands.CHALLENGE_COLUMNS` (the driver's row)."""
    (
        id_,
        community_id,
        slug,
        phase,
        title,
        brief,
        terms,
        submissions_close,
        voting_close,
        vote_emoji,
        ideas_per_member,
        review,
        self_votes,
        min_account_age_s,
        min_member_age_s,
        sealed,
        schedule,
        timezone,
        report_venue,
        multiple_places,
        created_by,
        created_at,
        opened_at,
        submissions_close_at,
        voting_close_at,
        closed_at,
        reminder_s,
        repeat,
        round_,
        previous_id,
        opens_at,
    ) = row
    return Challenge(
        id=id_,
        community_id=community_id,
        slug=slug,
        phase=Phase(phase),
        settings=ChallengeSettings(
            title=title,
            brief=brief,
            terms=terms,
            submissions_close=submissions_close,
            voting_close=voting_close,
            vote_emoji=vote_emoji,
            ideas_per_member=ideas_per_member,
            review=bool(review),
            self_votes=bool(self_votes),
            min_account_age=timedelta(seconds=min_account_age_s),
            min_member_age=timedelta(seconds=min_member_age_s),
            sealed=bool(sealed),
            schedule=schedule,
            timezone=timezone,
            report_venue=report_venue,
            multiple_places=bool(multiple_places),
            repeat=repeat,
            reminder=None if reminder_s is None else timedelta(seconds=reminder_s),
        ),
        venues=venue_ids,
        created_by=created_by,
        created_at=time(created_at),
        opened_at=time(opened_at),
        submissions_close_at=time(submissions_close_at),
        voting_close_at=time(voting_close_at),
        closed_at=time(closed_at),
        round=round_,
        previous_id=previous_id,
        opens_at=time(opens_at),
    )


def _members_above(board: Sequence[Sequence[Any]], points: int) -> int:
    """How many members of a board (rows of member, points, … highest first) have more
    points: tied members share a rank, 1 + this."""
    return bisect.bisect_left([-row[1] for row in board], -points)


def _ranked(
    totals: Sequence[Sequence[Any]], offset: int = 0, above: int = 0
) -> Iterable[tuple[int, int, int]]:
    """(rank, member, points) of (member, points) sorted highest first, from position
    `offset + 1` on, `above` members having more points than the first: tied members share
    a rank (1, 2, 2, 4). Counted here rather than by a window, which would sort the board
    twice (10,000 rows in a season)."""
    if not totals:
        return
    rank, last = 1 + above, totals[0][1]
    for position, (member_id, points) in enumerate(totals, start=offset + 1):
        if points != last:
            rank, last = position, points
        yield rank, member_id, int(points)


def _board(
    community_id: int,
    weights: PointWeights,
    first: str | None,
    last: str | None,
    by_month: bool,
) -> Any:
    """`_totals` with each member's display name, highest first."""
    board = _totals(community_id, weights, first, last, by_month).subquery()
    return (
        select(board.c.member_id, board.c.points, members.c.display_name)
        .join(members, members.c.id == board.c.member_id)
        .order_by(board.c.points.desc(), board.c.member_id)
    )


def _totals(
    community_id: int,
    weights: PointWeights,
    first: str | None,
    last: str | None,
    by_month: bool,
) -> Any:
    """(member_id, points) of the members with points as others see them, from `first` to
    `last` (weeks, or `by_month` months; None: no bound)."""
    per_member = _points_query(community_id, weights, first, last, by_month)
    points = func.sum(per_member.c.points)
    return (
        select(per_member.c.member_id, points.label("points"))
        .group_by(per_member.c.member_id)
        .having(points > 0)
    )


def _points_query(
    community_id: int,
    weights: PointWeights,
    first: str | None,
    last: str | None,
    by_month: bool,
) -> Any:
    """(member, points) rows of the points earned and the votes received that others see,
    to be summed by member. From the weeks, each side is summed member by member as its
    `_totals` index gives them (fewer rows to sort then); `by_month`, the months of the
    range, read together by their key, come as they are and are summed once."""
    if by_month:
        t, r = member_month_points.c, received_month_points.c
        periods = t.month, r.month
    else:
        t, r = member_week_points.c, received_points.c
        periods = t.week, r.week
    earned = [t.community_id == community_id, t.private.is_(False)]
    received = [r.community_id == community_id, r.private.is_(False)]
    for period, conditions in zip(periods, (earned, received), strict=True):
        if first is not None:
            conditions.append(period >= first)
        if last is not None:
            conditions.append(period <= last)

    def rows(member_id: Any, points: Any, conditions: list[Any]) -> Any:
        if by_month:
            return select(member_id, points.label("points")).where(and_(*conditions))
        summed = select(member_id, func.sum(points).label("points"))
        return summed.where(and_(*conditions)).group_by(member_id)

    return union_all(
        rows(t.member_id, sql.earned(weights, by_month), earned),
        rows(r.member_id, r.votes * weights.vote_received, received),
    ).subquery()


@functools.lru_cache(maxsize=64)
def _board_sql(
    dialect: Dialect,
    community_id: int,
    weights: PointWeights,
    first: str | None,
    last: str | None,
    by_month: bool,
) -> str:
    """`_board` as SQL text for the driver."""
    return _rendered(dialect, _board(community_id, weights, first, last, by_month))


def _rendered(dialect: Dialect, statement: Any) -> str:
    """A statement as SQL text with its values in it (numbers and week keys), rendered
    once per set of values and then run on the driver."""
    return str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


#: The kinds of row `_standing_sql` returns: (_TOP, member, points) for each of the top
#: rows, (_RANKED, members with points, 0), and (_OWN, points, members with more) for the
#: member asked about, when they have points.
_TOP, _RANKED, _OWN = 0, 1, 2


@functools.lru_cache(maxsize=64)
def _standing_sql(
    dialect: Dialect,
    community_id: int,
    weights: PointWeights,
    first: str | None,
    last: str | None,
    by_month: bool,
    limit: int,
) -> str:
    """The top `limit` of `_board`, how many members it ranks, and one member's standing,
    from the totals summed once; the member is the statement's one parameter, so the text
    is rendered once per board and period."""
    totals = _totals(community_id, weights, first, last, by_month)
    board = totals.cte("totals").prefix_with("MATERIALIZED")
    top = (
        select(board.c.member_id, board.c.points)
        .order_by(board.c.points.desc(), board.c.member_id)
        .limit(limit)
        .subquery()
    )
    mine = board.alias("mine")
    above = select(func.count()).where(board.c.points > mine.c.points).scalar_subquery()
    member: ColumnElement[Any] = literal_column("?" if dialect.name == "sqlite" else "$1")
    statement = union_all(
        select(literal_column(str(_TOP)), top.c.member_id, top.c.points),
        select(literal_column(str(_RANKED)), func.count(), literal_column("0")).select_from(board),
        select(literal_column(str(_OWN)), mine.c.points, above).where(mine.c.member_id == member),
    )
    return _rendered(dialect, statement)


def _log_entry(r: Row[Any]) -> LogEntry:
    return LogEntry(
        event_id=r.event_id,
        post_id=r.post_id,
        idea_id=r.idea_id,
        member_id=r.member_id,
        action=r.action,
        emoji=r.emoji,
        occurred_at=r.occurred_at,
        recorded_at=r.recorded_at,
        source=r.source,
        effect=r.effect,
        counted=r.counted,
        credited_idea_id=r.credited_idea_id,
        challenge_id=r.challenge_id,
        seq=r.seq,
        hash=r.hash,
    )


#: Idea posts with what an adapter needs to read their reactions back.
_IDEA_POST_REFS = (
    select(
        communities.c.platform,
        communities.c.external_id,
        communities.c.name,
        idea_posts.c.channel_id,
        idea_posts.c.message_id,
        challenges.c.vote_emoji,
        ideas.c.number,
        challenges.c.id.label("challenge_id"),
    )
    .select_from(
        idea_posts.join(ideas, ideas.c.id == idea_posts.c.idea_id)
        .join(challenges, challenges.c.id == ideas.c.challenge_id)
        .join(communities, communities.c.id == idea_posts.c.community_id)
    )
    .order_by(idea_posts.c.id)
)


def _idea_post_ref(r: Row[Any]) -> IdeaPostRef:
    return IdeaPostRef(
        CommunityRef(r.platform, r.external_id, r.name),
        r.channel_id,
        r.message_id,
        r.vote_emoji,
        r.number,
        r.challenge_id,
    )


#: Votes for an idea family: the idea itself and every idea merged into it.
def _family_head() -> Any:
    return func.coalesce(ideas.c.merged_into_id, ideas.c.id)


class SqlStore(ScheduleRepository, ApiTokenRepository, ApiReadRepository):
    """One transaction's view of the database. Every method runs inside it."""

    def __init__(self, conn: AsyncConnection, driver: Hot | None = None) -> None:
        self.conn = conn
        #: the driver's statements, when the transaction's owner has them at hand
        self._hot: Hot | None = driver
        self._command_sql: CommandSql | None = None
        self._webhooks: SqlWebhooks | None = None

    @property
    def webhooks(self) -> SqlWebhooks:
        """The webhooks' endpoints and outbox (storage/webhooks.py), in this transaction."""
        if self._webhooks is None:
            self._webhooks = SqlWebhooks(self.conn, self._driver)
        return self._webhooks

    @property
    def accounts(self) -> SqlAccounts:
        """Linked accounts of one person (storage/accounts.py)."""
        return SqlAccounts(self.conn, _member)

    @property
    def finding(self) -> SqlFinding:
        """Ideas across a community (storage/finding.py), in this transaction."""
        return SqlFinding(self.conn, _IDEA_COLUMNS, _idea_of)

    @property
    def member_data(self) -> SqlMemberData:
        """Members' data and communities that left (storage/member_data.py)."""
        return SqlMemberData(self.conn)

    @property
    def conversations(self) -> SqlConversations:
        """Ideas' threads, activity, follows and notices (storage/conversations.py)."""
        return SqlConversations(self.conn, self._driver)

    @property
    def followups(self) -> SqlFollowups:
        """Work owed to the platforms once a change has committed (storage/followups.py)."""
        return SqlFollowups(self.conn, self._driver)

    @property
    def organisations(self) -> SqlOrganisations:
        """Organisations and their link codes (storage/organisations.py)."""
        return SqlOrganisations(self.conn, self._driver)

    @property
    def rounds(self) -> SqlRounds:
        """The rounds of repeating challenges (storage/rounds.py)."""
        return SqlRounds(self.conn, self)

    @property
    def loop(self) -> SqlLoop:
        """The "You said, we did" posts (storage/loop.py)."""
        return SqlLoop(self.conn)

    async def _driver(self) -> Hot:
        """The reaction writer's statements, straight to the driver (storage/hot_votes.py)."""
        if self._hot is None:
            self._hot = await hot(self.conn)
        return self._hot

    async def _commands(self) -> CommandSql:
        """The commands' statements, straight to the driver (storage/hot_commands.py)."""
        if self._command_sql is None:
            self._command_sql = CommandSql(await self._driver())
        return self._command_sql

    # -- communities and members -------------------------------------------------

    async def community(self, ref: CommunityRef, now: datetime) -> Community:
        found = await self.find_community(ref)
        if found is None:
            await self.conn.execute(
                sql.ADD_COMMUNITY,
                {
                    "platform": ref.platform,
                    "external_id": ref.external_id,
                    "name": ref.name or ref.external_id,
                    "next_idea_number": 1,
                    "created_at": now,
                    "audit_key": secrets.token_hex(32),
                },
            )
            found = await self.find_community(ref)
            assert found is not None
        else:
            # A command from a community marked as left: the bot is back there.
            await self.conn.execute(
                update(communities)
                .where(communities.c.id == found.id, communities.c.left_at.is_not(None))
                .values(left_at=None)
            )
        if ref.name and ref.name != found.name:
            await self.conn.execute(
                update(communities).where(communities.c.id == found.id).values(name=ref.name)
            )
            return replace(found, name=ref.name)
        return found

    async def find_community(self, ref: CommunityRef) -> Community | None:
        key = {"platform": ref.platform, "external_id": ref.external_id}
        row = (await self.conn.execute(sql.COMMUNITY, key)).first()
        return None if row is None else _community(row)

    async def community_by_id(self, community_id: int) -> Community:
        db = await self._commands()
        (row,) = await db.fetch("community_by_id", community_id)
        return Community(*row)

    async def communities_by_ids(self, ids: Iterable[int]) -> dict[int, Community]:
        """In one statement, however many (an organisation's venues are on several)."""
        wanted = set(ids)
        if not wanted:
            return {}
        db = await self._commands()
        found = {
            row[0]: Community(*row)
            for row in await db.fetch("communities_by_ids", db.ids(sorted(wanted)))
        }
        if missing := wanted - found.keys():
            raise LookupError(f"no communities {sorted(missing)}")
        return found

    async def set_community_locale(self, community_id: int, locale: str | None) -> None:
        await self.conn.execute(
            update(communities).where(communities.c.id == community_id).values(locale=locale)
        )

    async def set_member_locale(self, member_id: int, locale: str | None) -> None:
        await self.conn.execute(
            update(members).where(members.c.id == member_id).values(locale=locale)
        )

    async def ensure_members(
        self, community_id: int, actors: Collection[Actor], now: datetime
    ) -> dict[str, Member]:
        """Members for these actors by external id, created on first sight, kept current."""
        wanted = {a.external_id: a for a in actors}
        linked: dict[int, int] = {}
        found = await self._members_by_external(community_id, list(wanted), linked)
        missing = [a for key, a in wanted.items() if key not in found]
        if missing:
            db = await self._driver()
            added = await db.fetch_each(
                "add_members",
                [
                    (
                        community_id,
                        a.external_id,
                        a.display_name[:200] or a.external_id,
                        a.is_bot,
                        db.time(now),
                        db.time(a.account_created_at),
                        db.time(a.joined_at),
                        a.locale,
                        False,
                    )
                    for a in missing
                ],
            )
            found.update((r[2], _member_of(r, db.read_time)) for r in added)
            # Some may have been created a moment earlier by another process: read them.
            late = [a.external_id for a in missing if a.external_id not in found]
            found.update(await self._members_by_external(community_id, late, linked))
        for key, actor in wanted.items():
            member = found[key]
            values: dict[str, Any] = {
                "display_name": actor.display_name[:200] or member.display_name,
                "account_created_at": actor.account_created_at or member.account_created_at,
                "joined_at": actor.joined_at or member.joined_at,
                "platform_locale": actor.locale or member.platform_locale,
            }
            if any(getattr(member, k) != v for k, v in values.items()):
                await self.conn.execute(
                    update(members).where(members.c.id == member.id).values(values)
                )
                found[key] = replace(member, **values)
        return await self._as_people(found, linked)

    async def _as_people(
        self, identities: dict[str, Member], linked: dict[int, int]
    ) -> dict[str, Member]:
        """Identities linked to a person (bot/accounts.py) as that person's member: votes,
        points, badges and ranks go to one member, while the eligibility dates and the
        external id stay the platform identity's."""
        if not linked:
            return identities
        people = await self.members_by_ids(set(linked.values()))
        out = dict(identities)
        for key, identity in identities.items():
            person = people.get(linked.get(identity.id, -1))
            if person is not None:
                out[key] = replace(
                    identity,
                    id=person.id,
                    display_name=person.display_name,
                    blocked=person.blocked or identity.blocked,
                    locale=person.locale or identity.locale,
                )
        return out

    async def _members_by_external(
        self, community_id: int, external_ids: Sequence[str], linked: dict[int, int] | None = None
    ) -> dict[str, Member]:
        """The members by external id; `linked` learns the person each linked one is."""
        out: dict[str, Member] = {}
        if not external_ids:
            return out
        db = await self._driver()
        t = db.read_time
        for chunk in _chunks(external_ids):
            for r in await db.fetch("members_by_external", community_id, db.ids(chunk)):
                out[r[2]] = _member_of(r, t)
                if r[9] is not None and linked is not None:
                    linked[r[0]] = r[9]
        return out

    async def member_by_external(self, community_id: int, external_id: str) -> Member | None:
        """The member for a platform identity: its person's, when it is linked to one."""
        linked: dict[int, int] = {}
        found = await self._members_by_external(community_id, [external_id], linked)
        return (await self._as_people(found, linked)).get(external_id)

    async def members_named(self, community_id: int, name: str) -> list[Member]:
        """The members of a community called `name`, each as its person when linked."""
        rows = await self.conn.execute(
            select(members.c.external_id)
            .where(
                (members.c.community_id == community_id)
                & (func.lower(members.c.display_name) == name.lower())
            )
            .order_by(members.c.id)
        )
        named = [str(r.external_id) for r in rows]
        linked: dict[int, int] = {}
        found = await self._members_by_external(community_id, named, linked)
        people = await self._as_people(found, linked)
        return [people[e] for e in named if e in people]

    async def members_by_ids(self, ids: Collection[int]) -> dict[int, Member]:
        out: dict[int, Member] = {}
        if not ids:
            return out
        db = await self._driver()
        t = db.read_time
        for chunk in _chunks(list(ids)):
            for r in await db.fetch("members_by_ids", db.ids(chunk)):
                out[r[0]] = _member_of(r, t)
        return out

    async def set_blocked(self, member_id: int, blocked: bool) -> None:
        await self.conn.execute(
            update(members).where(members.c.id == member_id).values(blocked=blocked)
        )

    # -- challenges --------------------------------------------------------------

    async def add_challenge(
        self,
        community_id: int,
        slug: str,
        settings: ChallengeSettings,
        venue_ids: Sequence[str],
        created_by: int,
        now: datetime,
    ) -> int:
        result = await self.conn.execute(
            insert(challenges)
            .values(
                community_id=community_id,
                slug=slug,
                phase=Phase.DRAFT.value,
                created_by=created_by,
                created_at=now,
                **settings_columns(settings),
            )
            .returning(challenges.c.id)
        )
        challenge_id = int(result.scalar_one())
        await self.set_venues(challenge_id, venue_ids)
        return challenge_id

    async def update_challenge(self, challenge_id: int, settings: ChallengeSettings) -> None:
        await self.conn.execute(
            update(challenges)
            .where(challenges.c.id == challenge_id)
            .values(settings_columns(settings))
        )

    async def set_venues(self, challenge_id: int, venue_ids: Sequence[str]) -> None:
        await self.conn.execute(delete(venues).where(venues.c.challenge_id == challenge_id))
        if venue_ids:
            await self.conn.execute(
                insert(venues), [{"challenge_id": challenge_id, "channel_id": v} for v in venue_ids]
            )

    async def challenges(self, community_id: int) -> list[Challenge]:
        """The community's challenges that are not deleted, oldest first: what every
        command looks its challenge up in (read on the driver)."""
        return await self._live_challenges(community_id)

    async def _with_venues(self, rows: list[Row[Any]]) -> list[Challenge]:
        """Challenges from their Core rows, with their venues."""
        if not rows:
            return []
        venue_rows = await self.conn.execute(sql.VENUES, {"ids": [r.id for r in rows]})
        by_challenge: dict[int, list[str]] = {}
        for v in venue_rows:
            by_challenge.setdefault(v.challenge_id, []).append(v.channel_id)
        return [_challenge(r, tuple(by_challenge.get(r.id, ()))) for r in rows]

    async def _live_challenges(self, community_id: int) -> list[Challenge]:
        db = await self._commands()
        return await self._challenges_of(db, await db.fetch("challenges", community_id))

    async def challenges_by_ids(
        self, ids: Collection[int], *, with_venues: bool = True
    ) -> list[Challenge]:
        """These challenges, of whichever community, unless deleted, by id (without their
        venues when `with_venues` is False: the reaction writer needs only the rules).
        Read on the driver: the reaction writer and the alerts ask with every batch."""
        if not ids:
            return []
        db = await self._commands()
        rows = await db.fetch("challenges_by_ids", db.ids(sorted(ids)))
        return await self._challenges_of(db, rows, with_venues)

    async def _challenges_of(
        self, db: CommandSql, rows: list[Sequence[Any]], with_venues: bool = True
    ) -> list[Challenge]:
        """Challenges from driver rows of `CHALLENGE_COLUMNS`, with their venues (unless
        `with_venues` is False)."""
        by_challenge: dict[int, list[str]] = {}
        if rows and with_venues:
            for challenge_id, channel_id in await db.fetch("venues", db.ids([r[0] for r in rows])):
                by_challenge.setdefault(challenge_id, []).append(channel_id)
        t = db.read_time
        return [_challenge_of(r, tuple(by_challenge.get(r[0], ())), t) for r in rows]

    async def slug_taken(self, community_id: int, slug: str) -> bool:
        row = await self.conn.execute(
            select(challenges.c.id).where(
                (challenges.c.community_id == community_id) & (challenges.c.slug == slug)
            )
        )
        return row.first() is not None

    async def set_phase(self, challenge_id: int, phase: Phase, **times: datetime | None) -> None:
        await self.conn.execute(
            update(challenges)
            .where(challenges.c.id == challenge_id)
            .values(phase=phase.value, **times)
        )

    async def delete_challenge(self, challenge_id: int, now: datetime) -> None:
        await self.conn.execute(
            update(challenges).where(challenges.c.id == challenge_id).values(deleted_at=now)
        )

    # -- ideas -------------------------------------------------------------------

    async def take_idea_number(self, community_id: int) -> int:
        """The next idea number of the community; the row lock makes it safe on PostgreSQL."""
        db = await self._commands()
        rows = await db.fetch("take_idea_number", community_id)
        return int(rows[0][0]) - 1

    async def add_idea(self, values: Mapping[str, Any]) -> Idea:
        """A new idea from the values of its columns (`anonymous`, `published_at` and
        `updated_at` may be left out), as stored."""
        unknown = set(values) - _NEW_IDEA_VALUES
        if unknown:
            raise ValueError(f"not columns of a new idea: {sorted(unknown)}")
        db = await self._commands()
        t = db.time
        [(version,)] = await db.fetch("new_ideas_version", values["challenge_id"])
        rows = await db.fetch(
            "add_idea",
            values["community_id"],
            values["challenge_id"],
            values["number"],
            values["title"],
            values["description"],
            values["author_id"],
            bool(values.get("anonymous", False)),
            values["status"],
            t(values["submitted_at"]),
            t(values.get("published_at")),
            t(values.get("updated_at", values["submitted_at"])),
            version,
        )
        return _idea_of(rows[0], db.read_time)

    async def idea(self, idea_id: int) -> Idea | None:
        row = (await self.conn.execute(sql.IDEA, {"id": idea_id})).first()
        return None if row is None else _idea(row)

    async def idea_by_number(self, community_id: int, number: int) -> Idea | None:
        db = await self._commands()
        rows = await db.fetch("idea_by_number", community_id, number)
        return _idea_of(rows[0], db.read_time) if rows else None

    async def ideas_by_ids(self, ids: Collection[int]) -> dict[int, Idea]:
        out: dict[int, Idea] = {}
        if not ids:
            return out
        db = await self._driver()
        t = db.read_time
        for chunk in _chunks(list(ids)):
            for r in await db.fetch("ideas_by_ids", db.ids(chunk)):
                out[r[0]] = _idea_of(r, t)
        return out

    async def ideas(
        self,
        challenge_id: int,
        statuses: Collection[IdeaStatus] | None = None,
        *,
        newest_first: bool = False,
        ranked: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Idea]:
        query = select(*_IDEA_COLUMNS).where(ideas.c.challenge_id == challenge_id)
        if statuses is not None:
            query = query.where(ideas.c.status.in_([s.value for s in statuses]))
        if ranked:
            query = query.order_by(ideas.c.vote_count.desc(), ideas.c.submitted_at, ideas.c.number)
        elif newest_first:
            query = query.order_by(ideas.c.submitted_at.desc(), ideas.c.number.desc())
        else:
            query = query.order_by(ideas.c.submitted_at, ideas.c.number)
        query = query.limit(limit).offset(offset) if limit is not None else query
        # Streamed a partition at a time: a big challenge's full list (100,000 ideas) is
        # never held twice, as driver rows and as ideas.
        out: list[Idea] = []
        result = await self.conn.stream(query)
        async for partition in result.partitions(_STREAM_ROWS):
            out.extend(_idea_of(r) for r in partition)
        return out

    async def idea_texts(
        self, challenge_id: int, statuses: Collection[IdeaStatus]
    ) -> Candidates[int]:
        db = await self._commands()
        # The version first: the ideas read after it are at least as new (idea_texts.py).
        [(version,)] = await db.fetch("ideas_version", challenge_id)
        kept = idea_texts.kept_for(self.conn.sync_engine)
        texts = kept.get(challenge_id)
        if texts is None or texts.version > version:
            texts = idea_texts.ChallengeTexts(-1)
            kept.put(challenge_id, texts)
        if texts.version != version:
            t = db.read_time
            changed = await db.fetch("changed_texts", challenge_id, texts.version)
            texts.merge(
                version,
                (
                    (i, t(at), number, status, f"{title} {description}")
                    for i, at, number, status, title, description in changed
                ),
            )
        return texts.texts(frozenset(s.value for s in statuses))

    async def count_ideas(
        self,
        challenge_id: int,
        statuses: Collection[IdeaStatus],
        author_id: int | None = None,
    ) -> int:
        db = await self._commands()
        wanted = db.ids([s.value for s in statuses])
        if author_id is None:
            rows = await db.fetch("count_ideas", challenge_id, wanted)
        else:
            rows = await db.fetch("count_ideas_by", challenge_id, wanted, author_id)
        return int(rows[0][0])

    async def idea_page(
        self,
        challenge_id: int,
        statuses: Collection[IdeaStatus],
        *,
        newest_first: bool,
        limit: int,
        offset: int = 0,
    ) -> list[Idea]:
        """A page of `ideas(…, ranked=True)` (most votes first), or of `ideas(…,
        newest_first=True)`: what /results and /ideas show."""
        db = await self._commands()
        query = "ideas_new" if newest_first else "ideas_top"
        wanted = db.ids([s.value for s in statuses])
        t = db.read_time
        return [_idea_of(r, t) for r in await db.fetch(query, challenge_id, wanted, limit, offset)]

    async def has_published_idea(self, community_id: int, author_id: int) -> bool:
        row = await self.conn.execute(
            select(ideas.c.id)
            .where(
                (ideas.c.community_id == community_id)
                & (ideas.c.author_id == author_id)
                & ideas.c.published_at.is_not(None)
            )
            .limit(1)
        )
        return row.first() is not None

    async def update_idea(self, idea_id: int, **values: Any) -> None:
        db = await self._commands()
        for (version,) in await db.fetch("new_idea_version", idea_id):
            values = {**values, "texts_version": version}
        await self.conn.execute(update(ideas).where(ideas.c.id == idea_id).values(**values))

    async def mark_first_foreign_votes(self, first: Mapping[int, datetime]) -> None:
        if first:
            db = await self._driver()
            await db.executemany(
                "first_foreign_votes", [(db.time(at), i) for i, at in sorted(first.items())]
            )

    async def family(self, head_id: int) -> list[int]:
        rows = await self.conn.execute(
            select(ideas.c.id).where((ideas.c.id == head_id) | (ideas.c.merged_into_id == head_id))
        )
        return [int(r[0]) for r in rows]

    # -- posts -------------------------------------------------------------------

    async def add_idea_post(
        self, community_id: int, idea_id: int, channel_id: str, message_id: str, now: datetime
    ) -> None:
        db = await self._commands()
        await db.fetch("add_idea_post", community_id, idea_id, channel_id, message_id, db.time(now))

    async def post_progress(
        self, post_id: int, message_ids: Sequence[str], sent_at: datetime | None
    ) -> None:
        """Where a post landed so far; with `sent_at`, it is sent."""
        db = await self._commands()
        landed = json.dumps(list(message_ids))
        if sent_at is None:
            await db.fetch("post_progress", landed, post_id)
        else:
            await db.fetch("post_sent", landed, db.time(sent_at), post_id)

    async def claim_command_post(
        self, challenge_id: int, kind: str, period: str, now: datetime, by: str, payload: str
    ) -> int | None:
        """`claim_post` of a command's post (due and claimed now, by `by`)."""
        db = await self._commands()
        at = db.time(now)
        rows = await db.fetch("claim_post", challenge_id, kind, period, at, by, at, payload)
        return int(rows[0][0]) if rows else None

    async def posts_by_message(
        self, community_id: int, keys: Collection[tuple[str, str]]
    ) -> dict[tuple[str, str], PostTarget]:
        out: dict[tuple[str, str], PostTarget] = {}
        wanted = set(keys)
        for chunk in _chunks(sorted({message for _, message in wanted})):
            rows = await self.conn.execute(
                sql.POSTS_BY_MESSAGE, {"community_id": community_id, "ids": list(chunk)}
            )
            for r in rows:
                if (r.channel_id, r.message_id) in wanted:
                    out[(r.channel_id, r.message_id)] = PostTarget(r.id, r.idea_id, r.challenge_id)
        return out

    async def post_floors(self, idea_ids: Collection[int]) -> dict[int, datetime]:
        """For the posts of these ideas: up to when all their reactions are known."""
        out: dict[int, datetime] = {}
        if not idea_ids:
            return out
        db = await self._driver()
        for chunk in _chunks(list(idea_ids)):
            for r in await db.fetch("post_floors", db.ids(chunk)):
                out[int(r[0])] = db.read_time(r[1])
        return out

    async def raise_post_floors(self, floors: Mapping[int, datetime]) -> None:
        if floors:
            db = await self._driver()
            await db.executemany(
                "raise_floors",
                [(db.time(at), post_id, db.time(at)) for post_id, at in sorted(floors.items())],
            )

    async def idea_post_messages(self, idea_id: int) -> list[tuple[int, str, str]]:
        p = idea_posts.c
        rows = await self.conn.execute(
            select(p.community_id, p.channel_id, p.message_id)
            .where(p.idea_id == idea_id)
            .order_by(p.id)
        )
        return [(r.community_id, r.channel_id, r.message_id) for r in rows]

    async def idea_post_refs(
        self,
        platform: str,
        *,
        challenge_id: int | None = None,
        closed_since: datetime | None = None,
    ) -> list[IdeaPostRef]:
        """Idea posts on a platform: of one challenge, or of the challenges that are
        running or closed since `closed_since`."""
        query = _IDEA_POST_REFS.where(
            (communities.c.platform == platform) & challenges.c.deleted_at.is_(None)
        )
        if challenge_id is not None:
            query = query.where(challenges.c.id == challenge_id)
        else:
            running: ColumnElement[bool] = challenges.c.phase.in_(
                [Phase.OPEN.value, Phase.VOTING.value]
            )
            if closed_since is not None:
                running = running | (
                    (challenges.c.phase == Phase.CLOSED.value)
                    & (challenges.c.closed_at >= closed_since)
                )
            query = query.where(running)
        return [_idea_post_ref(r) for r in await self.conn.execute(query)]

    async def idea_post_refs_for(
        self, keys: Collection[tuple[str, str, str, str]]
    ) -> list[IdeaPostRef]:
        """These idea posts, by (platform, community, channel, message), where known."""
        wanted = set(keys)
        out: list[IdeaPostRef] = []
        for chunk in _chunks(sorted({message for *_, message in wanted})):
            rows = await self.conn.execute(
                _IDEA_POST_REFS.where(idea_posts.c.message_id.in_(list(chunk)))
            )
            out += [
                _idea_post_ref(r)
                for r in rows
                if (r.platform, r.external_id, r.channel_id, r.message_id) in wanted
            ]
        return out

    # -- reactions and votes -----------------------------------------------------

    async def seen_event_ids(self, community_id: int, event_ids: Collection[str]) -> set[str]:
        seen: set[str] = set()
        if not event_ids:
            return seen
        db = await self._driver()
        for chunk in _chunks(list(event_ids)):
            rows = await db.fetch("seen", community_id, db.ids(chunk))
            seen.update(r[0] for r in rows)
        return seen

    async def reaction_states(
        self, idea_ids: Collection[int], member_ids: Collection[int] | None
    ) -> list[ReactionState]:
        """Reaction states on every post of these ideas, for these members (or all)."""
        out: list[ReactionState] = []
        if member_ids is not None:
            if not member_ids or not idea_ids:
                return out
            db = await self._driver()
            members_param = db.ids(list(member_ids))
            read_time = db.read_time
            for chunk in _chunks(list(idea_ids)):
                out.extend(
                    ReactionState(
                        r[0],
                        r[1],
                        r[2],
                        r[3],
                        bool(r[4]),
                        read_time(r[5]),
                        read_time(r[6]),
                        bool(r[7]),
                    )
                    for r in await db.fetch("states_of_members", members_param, db.ids(chunk))
                )
            return out
        for chunk in _chunks(list(idea_ids)):
            rows = await self.conn.execute(sql.STATES, {"ids": list(chunk)})
            out.extend(
                ReactionState(
                    r.post_id,
                    r.idea_id,
                    r.member_id,
                    r.variant,
                    r.present,
                    r.changed_at,
                    r.seen_at,
                    r.synced,
                )
                for r in rows
            )
        return out

    async def save_reaction_states(self, states: Sequence[ReactionState]) -> None:
        if not states:
            return
        db = await self._driver()
        time = db.time
        # One row per reaction, the last state given (PostgreSQL writes them in one statement).
        latest = {(s.post_id, s.member_id, s.variant): s for s in states}
        await db.executemany(
            "save_states",
            [
                (
                    s.post_id,
                    s.member_id,
                    s.variant,
                    s.present,
                    time(s.changed_at),
                    time(s.seen_at),
                    s.synced,
                )
                for s in latest.values()
            ],
        )

    async def lock_ideas(self, idea_ids: Collection[int]) -> dict[int, int | None]:
        """Lock these ideas' rows until the transaction ends (PostgreSQL; SQLite's writers
        take turns anyway), in id order; returns what each is merged into."""
        out: dict[int, int | None] = {}
        if not idea_ids:
            return out
        db = await self._driver()
        for chunk in _chunks(sorted(idea_ids)):
            for r in await db.fetch("lock_ideas", db.ids(chunk)):
                out[int(r[0])] = r[1]
        return out

    async def seen_before(
        self, keys: Sequence[str], now: datetime, forget_before: datetime | None
    ) -> list[str]:
        """Record a request's keys; those that were recorded already. `forget_before`:
        first forget the keys recorded before that time. One statement records them all."""
        db = await self._commands()
        if forget_before is not None:
            await db.fetch("forget_request_keys", db.time(forget_before))
        wanted = [key[:128] for key in keys]
        added = {key for (key,) in await db.fetch("add_request_keys", db.ids(wanted), db.time(now))}
        return [key for key in wanted if key not in added]

    async def append_reaction_log(self, community_id: int, entries: Sequence[LogEntry]) -> None:
        if not entries:
            return
        db = await self._driver()
        time = db.time
        await db.executemany(
            "append_log",
            [
                (
                    community_id,
                    e.challenge_id,
                    e.seq,
                    e.counted,
                    e.credited_idea_id,
                    e.hash,
                    e.event_id,
                    e.post_id,
                    e.idea_id,
                    e.member_id,
                    e.action,
                    e.emoji,
                    time(e.occurred_at),
                    time(e.recorded_at),
                    e.source,
                    e.effect,
                )
                for e in entries
            ],
        )

    async def lock_chain(self, challenge_id: int) -> tuple[int, str]:
        """The number of entries and the head hash of a challenge's vote log, locked until
        the transaction ends so that appends take turns."""
        db = await self._driver()
        rows = await db.fetch("lock_chain", challenge_id)
        if not rows:
            await db.execute("add_chain", challenge_id, 0, GENESIS)
            rows = await db.fetch("lock_chain", challenge_id)
        return int(rows[0][0]), str(rows[0][1])

    async def set_chain(self, challenge_id: int, entries: int, head: str) -> None:
        db = await self._driver()
        await db.execute("set_chain", entries, head, challenge_id)

    async def chain(self, challenge_id: int) -> tuple[int, str]:
        row = (
            await self.conn.execute(
                select(vote_chains.c.entries, vote_chains.c.head).where(
                    vote_chains.c.challenge_id == challenge_id
                )
            )
        ).first()
        return (0, GENESIS) if row is None else (int(row.entries), str(row.head))

    async def vote_log(self, challenge_id: int) -> list[LogEntry]:
        """A challenge's vote log, in order."""
        rows = await self.conn.execute(
            select(reaction_log)
            .where(reaction_log.c.challenge_id == challenge_id)
            .order_by(reaction_log.c.seq)
        )
        return [_log_entry(r) for r in rows]

    async def counted_log(self, challenge_id: int) -> list[tuple[int, datetime, int]]:
        """(credited idea, recorded at, counted) of the entries that changed counted votes."""
        rows = await self.conn.execute(
            select(
                reaction_log.c.credited_idea_id, reaction_log.c.recorded_at, reaction_log.c.counted
            ).where(
                (reaction_log.c.challenge_id == challenge_id)
                & (reaction_log.c.counted != 0)
                & reaction_log.c.credited_idea_id.is_not(None)
            )
        )
        return [(int(r[0]), r[1], int(r[2])) for r in rows]

    async def log_figures(
        self, challenge_id: int, start: datetime, end: datetime
    ) -> tuple[int, int, int]:
        """(counted votes added, removed, members who added one) by the entries recorded in
        [start, end)."""
        t = reaction_log.c
        row = (
            await self.conn.execute(
                select(
                    func.coalesce(func.sum(case((t.counted > 0, t.counted), else_=0)), 0),
                    func.coalesce(func.sum(case((t.counted < 0, -t.counted), else_=0)), 0),
                    func.count(func.distinct(case((t.counted > 0, t.member_id)))),
                ).where(
                    (t.challenge_id == challenge_id)
                    & (t.recorded_at >= start)
                    & (t.recorded_at < end)
                    & (t.counted != 0)
                )
            )
        ).one()
        return int(row[0]), int(row[1]), int(row[2])

    async def reaction_log(self, community_id: int) -> list[LogEntry]:
        rows = await self.conn.execute(
            select(reaction_log)
            .where(reaction_log.c.community_id == community_id)
            .order_by(reaction_log.c.challenge_id, reaction_log.c.seq)
        )
        return [_log_entry(r) for r in rows]

    async def votes_for(
        self, idea_ids: Collection[int], member_ids: Collection[int]
    ) -> dict[tuple[int, int], VoteRow]:
        """The votes of these members on these ideas, read member by member (a member's
        votes are few, however many an idea holds)."""
        out: dict[tuple[int, int], VoteRow] = {}
        if not member_ids or not idea_ids:
            return out
        db = await self._driver()
        members_param = db.ids(list(member_ids))
        read_time = db.read_time
        for chunk in _chunks(list(idea_ids)):
            for r in await db.fetch("votes_for", members_param, db.ids(chunk)):
                out[(r[0], r[1])] = VoteRow(r[0], r[1], r[2], read_time(r[3]), r[4], bool(r[5]))
        return out

    async def add_votes(self, rows: Sequence[VoteRow]) -> None:
        if rows:
            db = await self._driver()
            time = db.time
            await db.executemany(
                "add_votes",
                [
                    (v.idea_id, v.member_id, v.challenge_id, time(v.cast_at), v.week, v.voided)
                    for v in rows
                ],
            )

    async def remove_votes(self, pairs: Sequence[tuple[int, int]]) -> None:
        if pairs:
            db = await self._driver()
            await db.executemany("remove_votes", [(i, m) for i, m in pairs])

    async def vote_counts_by_member(
        self, challenge_id: int, member_ids: Collection[int]
    ) -> dict[int, int]:
        if not member_ids:
            return {}
        db = await self._driver()
        rows = await db.fetch("votes_by_member", challenge_id, db.ids(list(member_ids)))
        return {int(r[0]): int(r[1]) for r in rows}

    async def voters(self, idea_ids: Collection[int]) -> list[VoteRow]:
        rows = await self.conn.execute(select(votes).where(votes.c.idea_id.in_(list(idea_ids))))
        return [
            VoteRow(r.idea_id, r.member_id, r.challenge_id, r.cast_at, r.week, r.voided)
            for r in rows
        ]

    async def family_of(self, heads: Collection[int]) -> dict[int, list[int]]:
        """Each head's family: the head, then the ideas merged into it."""
        out = {h: [h] for h in heads}
        if not heads:
            return out
        db = await self._driver()
        for chunk in _chunks(list(heads)):
            for r in await db.fetch("merged_into", db.ids(chunk)):
                out[int(r[1])].append(int(r[0]))
        return out

    async def family_voters(self, heads: Collection[int]) -> dict[int, set[int]]:
        """The members with a vote (not voided) on any idea of each head's family."""
        families = await self.family_of(heads)
        head_of = {i: h for h, family in families.items() for i in family}
        out: dict[int, set[int]] = {h: set() for h in heads}
        for chunk in _chunks(list(head_of)):
            rows = await self.conn.execute(
                select(votes.c.idea_id, votes.c.member_id).where(
                    votes.c.idea_id.in_(list(chunk)) & votes.c.voided.is_(False)
                )
            )
            for r in rows:
                out[head_of[int(r.idea_id)]].add(int(r.member_id))
        return out

    async def log_held(self, head: int) -> dict[int, int]:
        """What the vote log says each member counts for this idea (the sum of entries)."""
        t = reaction_log.c
        rows = await self.conn.execute(
            select(t.member_id, func.sum(t.counted))
            .where((t.credited_idea_id == head) & (t.counted != 0))
            .group_by(t.member_id)
        )
        return {int(r[0]): int(r[1]) for r in rows if r[1]}

    async def set_vote_count(self, idea_id: int, count: int) -> None:
        await self.conn.execute(update(ideas).where(ideas.c.id == idea_id).values(vote_count=count))

    async def add_vote_counts(self, deltas: Mapping[int, int]) -> None:
        # In id order: processes that update the same ideas take their row locks in turn.
        changed = [(d, i) for i, d in sorted(deltas.items()) if d]
        if changed:
            db = await self._driver()
            await db.executemany("add_vote_counts", changed)

    async def voided_members(
        self, challenge_ids: Collection[int], member_ids: Collection[int]
    ) -> set[tuple[int, int]]:
        """(challenge, member) of these members whose votes a moderator voided."""
        if not challenge_ids or not member_ids:
            return set()
        db = await self._driver()
        rows = await db.fetch("voided", db.ids(list(challenge_ids)), db.ids(list(member_ids)))
        return {(int(r[0]), int(r[1])) for r in rows}

    async def set_void(
        self, challenge_id: int, member_id: int, by: int | None, now: datetime
    ) -> list[VoteRow]:
        """Void a member's votes in a challenge (`by` a moderator), or restore them (`by`
        None); returns the vote rows that changed."""
        voided = by is not None
        if voided:
            await self.conn.execute(
                insert(voids).values(
                    challenge_id=challenge_id, member_id=member_id, by_id=by, at=now
                )
            )
        else:
            await self.conn.execute(
                delete(voids).where(
                    (voids.c.challenge_id == challenge_id) & (voids.c.member_id == member_id)
                )
            )
        mine = (votes.c.challenge_id == challenge_id) & (votes.c.member_id == member_id)
        rows = list(await self.conn.execute(select(votes).where(mine & (votes.c.voided != voided))))
        await self.conn.execute(update(votes).where(mine).values(voided=voided))
        return [
            VoteRow(r.idea_id, r.member_id, r.challenge_id, r.cast_at, r.week, voided) for r in rows
        ]

    async def member_votes(self, challenge_id: int, member_id: int) -> list[VoteRow]:
        """A member's vote rows in a challenge, voided or not."""
        rows = await self.conn.execute(
            select(votes).where(
                (votes.c.challenge_id == challenge_id) & (votes.c.member_id == member_id)
            )
        )
        return [
            VoteRow(r.idea_id, r.member_id, r.challenge_id, r.cast_at, r.week, r.voided)
            for r in rows
        ]

    async def recent_gains(
        self, heads: Collection[int], since: datetime, source: str
    ) -> dict[int, list[RecentVote]]:
        """The counted votes each of these heads gained from `source` since then, with the
        voters' ages, oldest first."""
        out: dict[int, list[RecentVote]] = {h: [] for h in heads}
        db = await self._driver()
        t = db.read_time
        for chunk in _chunks(list(heads)):
            for row in await db.fetch("recent_gains", db.ids(chunk), db.time(since), source):
                out[int(row[0])].append(
                    RecentVote(int(row[1]), row[2], t(row[3]), t(row[4]), t(row[5]))
                )
        return out

    async def counted_votes(self, challenge_id: int) -> tuple[int, int]:
        """(public ideas, their counted votes) of a challenge (a covering index answers; on
        the driver: the alerts ask after every batch of votes)."""
        db = await self._commands()
        public = db.ids([s.value for s in PUBLIC_STATUSES])
        rows = await db.fetch("counted_votes", challenge_id, public)
        return int(rows[0][0]), int(rows[0][1])

    async def add_received(
        self, community_id: int, challenge_id: int, rows: Sequence[Received]
    ) -> None:
        # One row per key, the votes added up (PostgreSQL writes them in one statement).
        totals = Counter[tuple[int, str, bool]]()
        for r in rows:
            totals[(r.member_id, r.week, r.private)] += r.votes
        if totals:
            db = await self._driver()
            await db.executemany(
                "add_received",
                [(community_id, challenge_id, m, w, p, n) for (m, w, p), n in totals.items()],
            )

    async def replace_received(
        self, community_id: int, challenge_id: int, rows: Sequence[Received]
    ) -> None:
        await self.conn.execute(
            delete(received_points).where(received_points.c.challenge_id == challenge_id)
        )
        await self.add_received(community_id, challenge_id, [r for r in rows if r.votes])

    async def challenge_participation(self, challenge_id: int) -> tuple[int, int]:
        """(distinct voters, counted votes) of a challenge: the votes are those its ranked
        ideas count (a member's votes for merged ideas count once, as the ranking does)."""
        db = await self._commands()
        public = db.ids([s.value for s in PUBLIC_STATUSES])
        rows = await db.fetch("participation", challenge_id, public)
        return int(rows[0][0]), int(rows[0][1])

    # -- points, badges, audit ---------------------------------------------------

    async def add_points(self, community_id: int, deltas: Sequence[PointsDelta]) -> None:
        """Add to the weekly points rows, creating them on first use."""
        merged: dict[tuple[int, str, bool], list[int]] = {}
        for d in deltas:
            acc = merged.setdefault((d.member_id, d.week, d.private), [0, 0, 0])
            acc[0] += d.ideas_published
            acc[1] += d.votes_cast
            acc[2] += d.bonus
        if not merged:
            return
        db = await self._driver()
        await db.executemany(
            "add_points",
            [
                (community_id, m, w, private, p, c, b)
                for (m, w, private), (p, c, b) in sorted(merged.items())
            ],
        )

    async def active_weeks(
        self, community_id: int, member_ids: Collection[int], weeks: Collection[str]
    ) -> dict[int, set[str]]:
        """The weeks, among these, in which each member published an idea or voted."""
        out: dict[int, set[str]] = {}
        if not member_ids or not weeks:
            return out
        db = await self._driver()
        rows = await db.fetch(
            "active_weeks", community_id, db.ids(list(member_ids)), db.ids(list(weeks))
        )
        for r in rows:
            out.setdefault(int(r[0]), set()).add(r[1])
        return out

    async def _span(
        self, weights: PointWeights, first_week: str | None, last_week: str | None
    ) -> tuple[str | None, str | None, bool]:
        """The bounds a leaderboard sums between, and whether by month: when the range
        is whole months and the months were summed with these weights' weekly cap."""
        months = month_points.months_of(first_week, last_week)
        if months is not None:
            db = await self._commands()
            (held,) = (await db.fetch("month_cap"))[0]
            if held == weights.vote_cast_weekly_cap:
                return *months, True
        return first_week, last_week, False

    async def leaderboard(
        self,
        community_id: int,
        weights: PointWeights,
        first_week: str | None,
        last_week: str | None,
        limit: int,
        offset: int = 0,
    ) -> list[LeaderboardRow]:
        """Members by their points as others see them (nothing earned with an anonymous
        idea), highest first; tied members share a rank (1, 2, 2, 4). The whole board is
        read on the driver (Core would make its thousands of rows into Rows one by one)
        and the page cut from it."""
        db = await self._commands()
        span = await self._span(weights, first_week, last_week)
        rows = await db.fetch_rendered(_board_sql(self.conn.dialect, community_id, weights, *span))
        page = rows[offset : offset + limit]
        if not page:
            return []
        above = _members_above(rows, page[0][1])
        names = {member_id: name for member_id, _, name in page}
        return [
            LeaderboardRow(rank, member_id, names[member_id], points)
            for rank, member_id, points in _ranked([(m, p) for m, p, _ in page], offset, above)
        ]

    async def leaderboard_of(
        self,
        community_id: int,
        weights: PointWeights,
        first_week: str | None,
        last_week: str | None,
        limit: int,
        member_id: int,
    ) -> tuple[list[LeaderboardRow], LeaderboardRow | None, int]:
        """The first `limit` rows of `leaderboard`, this member's row (None without
        points), and how many members have points: from one reading of the totals, which
        the database ranks, so that only the rows shown come back."""
        db = await self._commands()
        span = await self._span(weights, first_week, last_week)
        statement = _standing_sql(self.conn.dialect, community_id, weights, *span, limit)
        top: list[tuple[int, int]] = []
        ranked, own = 0, None
        # On PostgreSQL the union makes every value numeric: ints again here.
        for kind, value, other in await db.fetch_rendered(statement, member_id):
            if kind == _TOP:
                top.append((int(value), int(other)))
            elif kind == _RANKED:
                ranked = int(value)
            else:
                own = int(value), int(other)
        top.sort(key=lambda row: (-row[1], row[0]))
        names = await self.members_by_ids({m for m, _ in top} | {member_id})
        board = [LeaderboardRow(r, m, names[m].display_name, p) for r, m, p in _ranked(top)]
        mine = None
        if own is not None:
            points, above = own
            mine = LeaderboardRow(1 + above, member_id, names[member_id].display_name, points)
        return board, mine, ranked

    async def member_points(
        self, community_id: int, member_id: int, weights: PointWeights
    ) -> tuple[int, int]:
        """A member's points all time: as others see them, and in all (with what they
        earned with anonymous ideas)."""
        t, r = member_week_points.c, received_points.c

        def sums(private: bool) -> list[Any]:
            # The member's own rows only (the `_totals` indexes find them).
            earned = select(func.sum(sql.earned(weights))).where(
                (t.community_id == community_id)
                & (t.private.is_(private))
                & (t.member_id == member_id)
            )
            received = select(func.sum(r.votes) * weights.vote_received).where(
                (r.community_id == community_id)
                & (r.private.is_(private))
                & (r.member_id == member_id)
            )
            return [
                func.coalesce(earned.scalar_subquery(), 0),
                func.coalesce(received.scalar_subquery(), 0),
            ]

        row = (await self.conn.execute(select(*sums(False), *sums(True)))).one()
        public = int(row[0]) + int(row[1])
        return public, public + int(row[2]) + int(row[3])

    async def awarded_keys(self, community_id: int, keys: Collection[str]) -> set[str]:
        """Which of these badge keys were awarded already."""
        found: set[str] = set()
        if not keys:
            return found
        db = await self._driver()
        for chunk in _chunks(list(keys)):
            found.update(r[0] for r in await db.fetch("awarded_keys", community_id, db.ids(chunk)))
        return found

    async def award(
        self,
        community_id: int,
        member_id: int,
        kind: BadgeKind,
        key: str,
        now: datetime,
        challenge_id: int | None = None,
        idea_id: int | None = None,
    ) -> int | None:
        db = await self._driver()
        inserted = await db.fetch(
            "award",
            community_id,
            member_id,
            kind.value,
            key,
            challenge_id,
            idea_id,
            db.time(now),
        )
        return int(inserted[0][0]) if inserted else None

    async def badges_by_ids(self, ids: Collection[int]) -> dict[int, Awarded]:
        """On the driver: the badge news of every vote batch that awards one asks."""
        db = await self._driver()
        out: dict[int, Awarded] = {}
        for chunk in _chunks(list(ids)):
            for badge_id, community_id, member_id, kind in await db.fetch(
                "badges_by_ids", db.ids(chunk)
            ):
                out[int(badge_id)] = Awarded(int(community_id), int(member_id), BadgeKind(kind))
        return out

    async def badges(
        self, community_id: int, member_id: int | None = None, challenge_id: int | None = None
    ) -> list[Badge]:
        query = select(badges).where(badges.c.community_id == community_id)
        if member_id is not None:
            query = query.where(badges.c.member_id == member_id)
        if challenge_id is not None:
            query = query.where(badges.c.challenge_id == challenge_id)
        rows = await self.conn.execute(query.order_by(badges.c.awarded_at, badges.c.id))
        return [
            Badge(r.member_id, BadgeKind(r.kind), r.challenge_id, r.idea_id, r.awarded_at)
            for r in rows
        ]

    async def audit(self, community_id: int, entry: AuditEntry) -> None:
        await self.conn.execute(
            insert(audit_log).values(
                community_id=community_id,
                actor_id=entry.actor_id,
                action=entry.action,
                target=entry.target,
                detail=entry.detail,
                at=entry.at,
                source_id=entry.source_id,
            )
        )

    async def audit_entries(self, community_id: int, limit: int = 50) -> list[AuditEntry]:
        rows = await self.conn.execute(
            select(audit_log)
            .where(audit_log.c.community_id == community_id)
            .order_by(audit_log.c.id.desc())
            .limit(limit)
        )
        return [
            AuditEntry(r.actor_id, r.action, r.target, r.detail, r.at, r.source_id) for r in rows
        ]
