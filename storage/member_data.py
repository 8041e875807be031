"""Members' data (bot/member_data.py) in SQL, in the caller's transaction: a member's rows
for their export, forgetting a member, and the communities that removed the bot."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select

from bot.member_data import (
    FORMER_MEMBER,
    Record,
    mentions,
    scrub_document,
    scrub_text,
)
from bot.model import BADGE_LABELS, BadgeKind
from storage.hot_votes import hot
from storage.organisations import SqlOrganisations
from storage.schema import (
    api_tokens,
    audit_log,
    badges,
    challenges,
    communities,
    idea_follows,
    idea_posts,
    idea_threads,
    ideas,
    link_codes,
    member_month_points,
    member_week_points,
    members,
    notice_prefs,
    notices,
    organisation_members,
    reaction_log,
    reaction_states,
    received_month_points,
    received_points,
    scheduled_posts,
    thread_repliers,
    venues,
    voids,
    vote_chains,
    votes,
    webhook_deliveries,
    webhook_endpoints,
)

_i = ideas.c
_c = challenges.c


class SqlMemberData:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def _records(self, query: Select[Any]) -> list[Record]:
        return [dict(row._mapping) for row in await self.conn.execute(query)]

    # -- the export -------------------------------------------------------------------------

    async def member_ideas(self, member_id: int) -> list[Record]:
        head = ideas.alias("head")
        return await self._records(
            select(
                _i.number,
                _c.slug.label("challenge"),
                _i.title,
                _i.description,
                _i.status,
                _i.status_note,
                _i.anonymous,
                head.c.number.label("merged_into"),
                _i.vote_count.label("votes"),
                _i.submitted_at,
                _i.published_at,
                _i.updated_at,
                _i.source_url,
            )
            .join(challenges, _c.id == _i.challenge_id)
            .outerjoin(head, head.c.id == _i.merged_into_id)
            .where(_i.author_id == member_id)
            .order_by(_i.number)
        )

    async def member_votes(self, member_id: int) -> list[Record]:
        v = votes.c
        return await self._records(
            select(
                _i.number.label("idea"),
                _c.slug.label("challenge"),
                v.cast_at,
                v.week,
                v.voided,
            )
            .join(ideas, _i.id == v.idea_id)
            .join(challenges, _c.id == v.challenge_id)
            .where(v.member_id == member_id)
            .order_by(v.cast_at, _i.number)
        )

    async def member_vote_log(self, member_id: int) -> list[Record]:
        r = reaction_log.c
        credited = ideas.alias("credited")
        return await self._records(
            select(
                _c.slug.label("challenge"),
                r.seq,
                _i.number.label("idea"),
                credited.c.number.label("credited_idea"),
                r.action,
                r.emoji,
                r.source,
                r.effect,
                r.counted,
                r.occurred_at,
                r.recorded_at,
            )
            .join(ideas, _i.id == r.idea_id)
            .outerjoin(credited, credited.c.id == r.credited_idea_id)
            .join(challenges, _c.id == r.challenge_id)
            .where(r.member_id == member_id)
            .order_by(r.challenge_id, r.seq)
        )

    async def member_reactions(self, member_id: int) -> list[Record]:
        s, p = reaction_states.c, idea_posts.c
        return await self._records(
            select(
                _i.number.label("idea"),
                p.channel_id.label("channel"),
                p.message_id.label("message"),
                s.variant,
                s.present,
                s.changed_at,
                s.seen_at,
            )
            .join(idea_posts, p.id == s.post_id)
            .join(ideas, _i.id == p.idea_id)
            .where(s.member_id == member_id)
            .order_by(_i.number, p.channel_id, s.variant)
        )

    async def member_weekly_points(self, member_id: int) -> list[Record]:
        w = member_week_points.c
        return await self._records(
            select(w.week, w.private, w.ideas_published, w.votes_cast, w.bonus)
            .where(w.member_id == member_id)
            .order_by(w.week, w.private)
        )

    async def member_received_votes(self, member_id: int) -> list[Record]:
        r = received_points.c
        return await self._records(
            select(_c.slug.label("challenge"), r.week, r.private, r.votes)
            .join(challenges, _c.id == r.challenge_id)
            .where(r.member_id == member_id)
            .order_by(r.week, _c.slug, r.private)
        )

    async def member_follows(self, member_id: int) -> list[Record]:
        f = idea_follows.c
        return await self._records(
            select(_i.number.label("idea"), f.following, f.since)
            .join(ideas, _i.id == f.idea_id)
            .where(f.member_id == member_id)
            .order_by(f.since, _i.number)
        )

    async def member_notices(self, member_id: int) -> list[Record]:
        n = notices.c
        records = await self._records(
            select(
                n.kind,
                _i.number.label("idea"),
                n.title,
                n.body,
                n.state,
                n.via,
                n.created_at,
                n.sent_at,
            )
            .join(ideas, _i.id == n.idea_id)
            .where(n.member_id == member_id)
            .order_by(n.created_at, n.id)
        )
        prefs = (
            await self.conn.execute(
                select(notice_prefs.c.level, notice_prefs.c.follow_votes).where(
                    notice_prefs.c.member_id == member_id
                )
            )
        ).first()
        settings = {"level": prefs.level, "follow_votes": prefs.follow_votes} if prefs else {}
        return [{"settings": settings}, *records] if settings else records

    async def member_badges(self, member_id: int) -> list[Record]:
        b = badges.c
        rows = await self._records(
            select(
                b.kind,
                _c.slug.label("challenge"),
                _i.number.label("idea"),
                b.awarded_at,
            )
            .outerjoin(challenges, _c.id == b.challenge_id)
            .outerjoin(ideas, _i.id == b.idea_id)
            .where(b.member_id == member_id)
            .order_by(b.awarded_at, b.id)
        )
        for row in rows:
            kind = row["kind"]
            row["label"] = BADGE_LABELS.get(BadgeKind(kind), kind) if kind in _KINDS else kind
        return rows

    async def member_voided(self, member_id: int) -> list[Record]:
        d = voids.c
        return await self._records(
            select(_c.slug.label("challenge"), d.at)
            .join(challenges, _c.id == d.challenge_id)
            .where(d.member_id == member_id)
            .order_by(d.at)
        )

    async def member_moderator_actions(self, member_id: int) -> list[Record]:
        a = audit_log.c
        return await self._records(
            select(a.action, a.target, a.detail, a.at)
            .where(a.actor_id == member_id)
            .order_by(a.at, a.id)
        )

    async def member_created(self, member_id: int) -> dict[str, list[Record]]:
        t, e, k = api_tokens.c, webhook_endpoints.c, link_codes.c
        return {
            "challenges": await self._records(
                select(_c.slug, _c.title, _c.created_at, _c.deleted_at)
                .where(_c.created_by == member_id)
                .order_by(_c.created_at, _c.id)
            ),
            "api_tokens": await self._records(
                select(t.id, t.name, t.shown, t.created_at, t.last_used_at, t.revoked_at)
                .where(t.created_by == member_id)
                .order_by(t.id)
            ),
            "webhooks": await self._records(
                select(e.id, e.url, e.events, e.state, e.created_at)
                .where(e.created_by == member_id)
                .order_by(e.id)
            ),
            "link_codes": await self._records(
                select(k.created_at, k.expires_at, k.used_at)
                .where(k.created_by == member_id)
                .order_by(k.created_at)
            ),
        }

    # -- forgetting -------------------------------------------------------------------------

    async def forget_member(
        self, community_id: int, member_id: int, placeholder: str, now: datetime
    ) -> None:
        m = members.c
        row = (
            await self.conn.execute(
                select(m.external_id, m.display_name, m.community_id).where(m.id == member_id)
            )
        ).first()
        if row is None:
            return
        external_id, name = str(row.external_id), str(row.display_name)
        # What they followed and were told, and their notice settings, go; the threads they
        # took part in count them under the placeholder.
        for table in (idea_follows, notice_prefs, notices):
            await self.conn.execute(delete(table).where(table.c.member_id == member_id))
        theirs = select(idea_threads.c.id).where(idea_threads.c.community_id == row.community_id)
        await self.conn.execute(
            update(thread_repliers)
            .where(
                thread_repliers.c.member_ref == external_id,
                thread_repliers.c.thread_id.in_(theirs.scalar_subquery()),
            )
            .values(member_ref=placeholder)
        )
        await self.conn.execute(
            update(members)
            .where(m.id == member_id)
            .values(
                external_id=placeholder,
                display_name=FORMER_MEMBER,
                first_seen_at=now,
                account_created_at=None,
                joined_at=None,
                forgotten_at=now,
            )
        )
        # Discord's event ids name the reacting user; the entries' hashes do not hold them.
        r = reaction_log.c
        await self.conn.execute(
            update(reaction_log)
            .where(r.member_id == member_id, r.event_id.contains(external_id, autoescape=True))
            .values(event_id=func.replace(r.event_id, external_id, placeholder))
        )
        await self._scrub_audit(community_id, name, external_id, placeholder)
        await self._scrub_posts(community_id, name, external_id, placeholder)
        await self._scrub_deliveries(community_id, name, external_id, placeholder)

    async def _scrub_audit(
        self, community_id: int, name: str, external_id: str, placeholder: str
    ) -> None:
        a = audit_log.c
        rows = await self.conn.execute(
            select(a.id, a.target, a.detail).where(a.community_id == community_id)
        )
        for row in rows.all():
            if mentions(row.target, name, external_id) or mentions(row.detail, name, external_id):
                await self.conn.execute(
                    update(audit_log)
                    .where(a.id == row.id)
                    .values(
                        target=scrub_text(row.target, name, external_id, placeholder)[:64],
                        detail=scrub_text(row.detail, name, external_id, placeholder),
                    )
                )

    async def _scrub_posts(
        self, community_id: int, name: str, external_id: str, placeholder: str
    ) -> None:
        p = scheduled_posts.c
        rows = await self.conn.execute(
            select(p.id, p.payload, p.last_error)
            .join(challenges, _c.id == p.challenge_id)
            .where(_c.community_id == community_id, p.payload.is_not(None))
        )
        for row in rows.all():
            if mentions(row.payload, name, external_id) or mentions(
                row.last_error, name, external_id
            ):
                await self.conn.execute(
                    update(scheduled_posts)
                    .where(p.id == row.id)
                    .values(
                        payload=scrub_document(row.payload, name, external_id, placeholder),
                        last_error=scrub_text(row.last_error, name, external_id, placeholder)
                        if row.last_error
                        else None,
                    )
                )

    async def _scrub_deliveries(
        self, community_id: int, name: str, external_id: str, placeholder: str
    ) -> None:
        d, e = webhook_deliveries.c, webhook_endpoints.c
        rows = await self.conn.execute(
            select(d.id, d.body)
            .join(webhook_endpoints, e.id == d.endpoint_id)
            .where(e.community_id == community_id)
        )
        for row in rows.all():
            if mentions(row.body, name, external_id):
                await self.conn.execute(
                    update(webhook_deliveries)
                    .where(d.id == row.id)
                    .values(body=scrub_document(row.body, name, external_id, placeholder))
                )

    # -- communities that removed the bot ---------------------------------------------------

    async def mark_left(self, platform: str, external_id: str, now: datetime) -> bool:
        c = communities.c
        done = await self.conn.execute(
            update(communities)
            .where(c.platform == platform, c.external_id == external_id, c.left_at.is_(None))
            .values(left_at=now)
        )
        return bool(done.rowcount)

    async def mark_present(self, platform: str, external_ids: Collection[str]) -> int:
        c = communities.c
        wanted = list(external_ids)
        changed = 0
        for start in range(0, len(wanted), 500):
            done = await self.conn.execute(
                update(communities)
                .where(
                    c.platform == platform,
                    c.external_id.in_(wanted[start : start + 500]),
                    c.left_at.is_not(None),
                )
                .values(left_at=None)
            )
            changed += done.rowcount or 0
        return changed

    async def left_before(self, cutoff: datetime) -> list[tuple[int, str, str, datetime]]:
        c = communities.c
        rows = await self.conn.execute(
            select(c.id, c.platform, c.external_id, c.left_at)
            .where(c.left_at.is_not(None), c.left_at <= cutoff)
            .order_by(c.left_at, c.id)
        )
        return [(r.id, r.platform, r.external_id, r.left_at) for r in rows]

    async def shared(self, community_id: int) -> bool:
        m, i, o = members.c, ideas.c, organisation_members.c
        its = select(m.id).where(m.community_id == community_id).scalar_subquery()
        elsewhere = select(i.id).where(i.community_id != community_id).scalar_subquery()
        for found in (
            select(o.community_id).where(o.community_id == community_id),
            select(i.id).where(i.author_id.in_(its), i.community_id != community_id),
            select(votes.c.idea_id).where(
                votes.c.member_id.in_(its), votes.c.idea_id.in_(elsewhere)
            ),
        ):
            if await self.conn.scalar(found.limit(1)) is not None:
                return True
        return False

    async def purge_community(self, community_id: int) -> int:
        """Children before parents: members are referenced with RESTRICT by challenges and
        ideas, so nothing is left to a cascade."""
        of_challenges = select(_c.id).where(_c.community_id == community_id).scalar_subquery()
        of_posts = (
            select(idea_posts.c.id)
            .where(idea_posts.c.community_id == community_id)
            .scalar_subquery()
        )
        of_endpoints = (
            select(webhook_endpoints.c.id)
            .where(webhook_endpoints.c.community_id == community_id)
            .scalar_subquery()
        )
        await SqlOrganisations(self.conn, lambda: hot(self.conn)).leave_organisation(community_id)
        await self.conn.execute(
            update(link_codes)
            .where(link_codes.c.used_by_community_id == community_id)
            .values(used_by_community_id=None)
        )
        await self.conn.execute(
            update(ideas).where(_i.community_id == community_id).values(merged_into_id=None)
        )
        statements = [
            delete(webhook_deliveries).where(webhook_deliveries.c.endpoint_id.in_(of_endpoints)),
            delete(webhook_endpoints).where(webhook_endpoints.c.community_id == community_id),
            delete(api_tokens).where(api_tokens.c.community_id == community_id),
            delete(link_codes).where(link_codes.c.community_id == community_id),
            delete(reaction_states).where(reaction_states.c.post_id.in_(of_posts)),
            delete(reaction_log).where(reaction_log.c.community_id == community_id),
            delete(vote_chains).where(vote_chains.c.challenge_id.in_(of_challenges)),
            delete(votes).where(votes.c.challenge_id.in_(of_challenges)),
            delete(voids).where(voids.c.challenge_id.in_(of_challenges)),
            delete(received_points).where(received_points.c.community_id == community_id),
            delete(member_week_points).where(member_week_points.c.community_id == community_id),
            # after their sources, whose triggers write to them
            delete(received_month_points).where(
                received_month_points.c.community_id == community_id
            ),
            delete(member_month_points).where(member_month_points.c.community_id == community_id),
            delete(badges).where(badges.c.community_id == community_id),
            delete(audit_log).where(audit_log.c.community_id == community_id),
            delete(scheduled_posts).where(scheduled_posts.c.challenge_id.in_(of_challenges)),
            delete(idea_posts).where(idea_posts.c.community_id == community_id),
            delete(ideas).where(_i.community_id == community_id),
            delete(venues).where(venues.c.challenge_id.in_(of_challenges)),
            delete(challenges).where(_c.community_id == community_id),
            delete(members).where(members.c.community_id == community_id),
            delete(communities).where(communities.c.id == community_id),
        ]
        rows = 0
        for statement in statements:
            done = await self.conn.execute(statement)
            rows += done.rowcount or 0
        return rows


_KINDS = frozenset(k.value for k in BadgeKind)
