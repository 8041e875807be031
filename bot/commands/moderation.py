"""Moderator commands: the review queue, statuses, merges, blocks and the audit log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot import notices, outbox
from bot.alerts import is_new, voter_line
from bot.commands.context import Context
from bot.commands.ideas import IDEA, idea_posts
from bot.commands.spec import Option, OptionKind, registry
from bot.errors import UserError
from bot.events import IdeaMerged, IdeaPublished, IdeaRejected, StatusChanged
from bot.messages import Card, Post, PostKind, Reply
from bot.model import SETTABLE_STATUSES, Community, Idea, IdeaStatus, Phase
from bot.ports import PointsDelta, RecentVote
from bot.render import idea_heading, plural, when
from bot.text import clean_user_text, display_inline
from bot.webhooks import events as webhook_events

MEMBER = Option("member", OptionKind.MEMBER, "the member", required=True, positional=True)
VOTERS_SHOWN = 40
STATUS_CHOICES = tuple(s.value.replace(" ", "_") for s in SETTABLE_STATUSES)


async def _publish(ctx: Context, idea: Idea) -> None:
    """Make a pending idea public: points, 💡 Spark, and its posts in every venue."""
    challenge = await ctx.challenge_of(idea)
    published = replace(idea, status=IdeaStatus.PUBLISHED, published_at=ctx.now)
    await ctx.store.update_idea(
        idea.id, status=IdeaStatus.PUBLISHED.value, published_at=ctx.now, updated_at=ctx.now
    )
    await webhook_events.idea_event(
        ctx.store, challenge, published, webhook_events.IDEA_PUBLISHED, str(idea.id), ctx.now
    )
    await webhook_events.status_changed(ctx.store, challenge, published, idea.status.value, ctx.now)
    ctx.awarded(await ctx.rewards.idea_published(ctx.store, published, ctx.now))
    author = (await ctx.store.members_by_ids([idea.author_id]))[idea.author_id]
    posts = tuple(idea_posts(published, challenge, author.display_name))
    ctx.emit(IdeaPublished(challenge, posts, published))
    await notices.tell(
        ctx.store, ctx.community.id, idea, "approved", f"approve:{idea.id}",
        notices.approved(idea), ctx.now,
    )  # fmt: skip


def _note(ctx: Context, text: str | None) -> str | None:
    if text is None:
        return None
    return clean_user_text(
        text, max_len=ctx.settings.limits.reason_max, field="note", multiline=False
    )


@registry.command(
    "mod",
    "approve",
    description="Approve an idea waiting for review",
    options=(IDEA,),
    moderator=True,
    example="/mod approve #12",
)
async def approve(ctx: Context, args: Mapping[str, Any]) -> Reply:
    idea = await ctx.idea(args["idea"])
    if idea.status is not IdeaStatus.PENDING:
        raise UserError(f"#{idea.number} is {idea.status.value}, not waiting for review.")
    await _publish(ctx, idea)
    await ctx.audit("idea.approve", f"#{idea.number}")
    title = f"✅ #{idea.number} is approved"
    return Reply(
        Card(title, "It is posted for voting."),
        unsent=Card(title, f"It will be posted for voting as soon as {ctx.platform_name} answers."),
    )


@registry.command(
    "mod",
    "reject",
    description="Reject an idea, with a reason the author can read",
    options=(IDEA, Option("reason", OptionKind.TEXT, "why", positional=True, greedy=True)),
    moderator=True,
    example="/mod reject #12 not about ice cream",
)
async def reject(ctx: Context, args: Mapping[str, Any]) -> Reply:
    idea = await ctx.idea(args["idea"])
    if idea.status not in (IdeaStatus.PENDING, IdeaStatus.PUBLISHED):
        raise UserError(f"#{idea.number} is {idea.status.value} and can't be rejected now.")
    reason = _note(ctx, args.get("reason"))

    async def reject() -> None:
        await ctx.store.update_idea(
            idea.id, status=IdeaStatus.REJECTED.value, status_note=reason, updated_at=ctx.now
        )

    challenge = await ctx.challenge_of(idea)
    if idea.status is IdeaStatus.PUBLISHED:
        await ctx.recount(
            challenge, [idea.id], reject, action="reject", effects=("idea rejected", "")
        )
        await ctx.rewards.idea_unpublished(ctx.store, idea)
        ctx.changed(idea.id)
    else:
        await reject()
    rejected = replace(idea, status=IdeaStatus.REJECTED, status_note=reason)
    await webhook_events.status_changed(
        ctx.store, challenge, rejected, idea.status.value, ctx.now, reason
    )
    await notices.tell(
        ctx.store, ctx.community.id, idea, "rejected", f"reject:{idea.id}",
        notices.rejected(idea, reason), ctx.now,
    )  # fmt: skip
    told = notices.rejected(idea, reason)(notices.IN_THREAD)
    ctx.emit(IdeaRejected(challenge, await notices.thread_posts(ctx.store, [idea.id], told), idea))
    await ctx.audit("idea.reject", f"#{idea.number}", reason or "")
    return Reply(
        Card(f"🚫 #{idea.number} is rejected", "The author sees the reason with `/idea show`.")
    )


@registry.command(
    "mod",
    "status",
    description="Set an idea's status, and tell the community",
    options=(
        IDEA,
        Option(
            "status",
            OptionKind.CHOICE,
            "the new status",
            required=True,
            positional=True,
            choices=STATUS_CHOICES,
        ),
        Option("note", OptionKind.TEXT, "a note for the community", positional=True, greedy=True),
    ),
    moderator=True,
    example="/mod status #12 planned Coming in May",
)
async def status(ctx: Context, args: Mapping[str, Any]) -> Reply:
    idea = await ctx.idea(args["idea"])
    new = IdeaStatus(args["status"].replace("_", " "))
    if idea.status in (IdeaStatus.WITHDRAWN, IdeaStatus.MERGED, IdeaStatus.REJECTED):
        raise UserError(f"#{idea.number} is {idea.status.value}; its status can't change now.")
    before = idea.status
    if idea.status is IdeaStatus.PENDING:
        await _publish(ctx, idea)
        before = IdeaStatus.PUBLISHED
    note = _note(ctx, args.get("note"))
    # "You said, we did" lists what moved since its last post: only a change is news.
    moved = {"status_changed_at": ctx.now} if new is not before else {}
    await ctx.store.update_idea(
        idea.id, status=new.value, status_note=note, updated_at=ctx.now, **moved
    )
    if new is IdeaStatus.IMPLEMENTED:
        ctx.awarded(await ctx.rewards.shipped(ctx.store, idea, ctx.now))
    challenge = await ctx.challenge_of(idea)
    if new is not before:
        changed = replace(idea, status=new, status_note=note)
        await webhook_events.status_changed(
            ctx.store, challenge, changed, before.value, ctx.now, note
        )
    body = f"Status: {new.value}" + (f" — {display_inline(note, 300)}" if note else "")
    notice = Card(f"📣 Update on {idea_heading(idea)}", body)
    # A forum venue hears it in the idea's own forum post (a post of its own would clutter
    # the forum); the other venues get the update.
    threads = (await ctx.store.conversations.threads_of([idea.id]))[idea.id]
    forums = {t.channel_id for t in threads if t.forum}
    posts = tuple(Post(v, PostKind.NOTICE, notice) for v in challenge.venues if v not in forums)
    if new is not before:
        tell_them = notices.status_changed(idea, new, note)
        key = f"status:{idea.id}:{new.value}:{ctx.now.isoformat()}"
        await notices.tell(ctx.store, ctx.community.id, idea, "status", key, tell_them, ctx.now)
    # The thread hears the status, and the moderator's note, even when only the note changed.
    told = notices.status_changed(idea, new, note)(notices.IN_THREAD)
    posts += await notices.thread_posts(ctx.store, [idea.id], told)
    ctx.emit(StatusChanged(challenge, posts, idea, new))
    ctx.changed(idea.id)
    await ctx.audit("idea.status", f"#{idea.number}", new.value)
    return Reply(Card(f"#{idea.number} is now {new.value}", "The community is told in the venues."))


@registry.command(
    "mod",
    "merge",
    description="Merge a duplicate into another idea; votes move, once per member",
    options=(
        Option(
            "duplicate", OptionKind.IDEA, "the duplicate, like #7", required=True, positional=True
        ),
        Option("into", OptionKind.IDEA, "the idea that stays, like #3", required=True),
    ),
    moderator=True,
    example="/mod merge #14 into:#12",
)
async def merge(ctx: Context, args: Mapping[str, Any]) -> Reply:
    dup = await ctx.idea(args["duplicate"])
    target = await ctx.idea(args["into"])
    if target.merged_into_id is not None:
        head = await ctx.store.idea(target.merged_into_id)
        assert head is not None
        target = head
    if dup.id == target.id:
        raise UserError("An idea can't be merged into itself.")
    if dup.challenge_id != target.challenge_id:
        raise UserError(f"#{dup.number} and #{target.number} belong to different challenges.")
    if not dup.status.public or not target.status.public:
        raise UserError("Only published ideas can be merged.")
    challenge = await ctx.challenge_of(dup)
    family = await ctx.store.family(dup.id)  # whose voters hear where their votes went

    async def merge() -> None:
        await ctx.store.update_idea(
            dup.id, status=IdeaStatus.MERGED.value, merged_into_id=target.id, updated_at=ctx.now
        )
        for child in await ctx.store.family(dup.id):
            if child != dup.id:
                await ctx.store.update_idea(child, merged_into_id=target.id)

    after = await ctx.recount(
        challenge,
        [dup.id, target.id],
        merge,
        action="merge",
        effects=(f"moved by a merge into #{target.number}", f"counted for #{target.number}"),
        subject=dup.id,
    )
    ctx.changed(dup.id, target.id)
    merged = replace(dup, status=IdeaStatus.MERGED, merged_into_id=target.id)
    sealed = challenge.settings.sealed and challenge.phase is not Phase.CLOSED
    votes = None if sealed else len(after[target.id])  # a sealed tally stays sealed
    into = {"number": target.number, "title": target.title, "votes": votes}
    await webhook_events.idea_event(
        ctx.store,
        challenge,
        merged,
        webhook_events.IDEA_MERGED,
        f"{dup.id}:{target.id}:{ctx.now.isoformat()}",
        ctx.now,
        into=into,
    )
    await webhook_events.status_changed(ctx.store, challenge, merged, dup.status.value, ctx.now)
    key = f"merge:{dup.id}:{target.id}:{ctx.now.isoformat()}"
    tell_them = notices.merged(dup, target)
    await notices.tell(
        ctx.store, ctx.community.id, dup, "merged", key, tell_them, ctx.now, voter_ideas=family
    )
    # Both threads are told, each naming the other.
    here = Card(
        f"🔗 {notices.heading(dup)} is merged into {notices.heading(target)}",
        f"Its votes count for {notices.heading(target)}; the conversation goes on in its thread.",
    )
    there = Card(
        f"🔗 {notices.heading(dup)} was merged into this idea",
        f"Its votes count here now; its own thread stays as it was: {notices.heading(dup)}.",
    )
    posts = await notices.thread_posts(ctx.store, [dup.id], here)
    posts += await notices.thread_posts(ctx.store, [target.id], there)
    ctx.emit(IdeaMerged(challenge, posts, merged, target))
    await ctx.audit("idea.merge", f"#{dup.number}", f"into #{target.number}")
    return Reply(
        Card(
            f"🔗 #{dup.number} is merged into #{target.number}",
            f"#{target.number} now has {len(after[target.id])} votes (each member once). "
            f"Undo with `/mod unmerge #{dup.number}`.",
        )
    )


@registry.command(
    "mod",
    "unmerge",
    description="Undo a merge",
    options=(IDEA,),
    moderator=True,
    example="/mod unmerge #14",
)
async def unmerge(ctx: Context, args: Mapping[str, Any]) -> Reply:
    dup = await ctx.idea(args["idea"])
    if dup.merged_into_id is None:
        raise UserError(f"#{dup.number} is not merged into another idea.")
    head = dup.merged_into_id
    challenge = await ctx.challenge_of(dup)

    async def unmerge() -> None:
        await ctx.store.update_idea(
            dup.id, status=IdeaStatus.PUBLISHED.value, merged_into_id=None, updated_at=ctx.now
        )

    await ctx.recount(
        challenge,
        [dup.id, head],
        unmerge,
        action="unmerge",
        effects=("moved back by an unmerge", f"counted again for #{dup.number}"),
        subject=dup.id,
    )
    ctx.changed(dup.id, head)
    unmerged = replace(dup, status=IdeaStatus.PUBLISHED, merged_into_id=None)
    await webhook_events.status_changed(ctx.store, challenge, unmerged, dup.status.value, ctx.now)
    await ctx.audit("idea.unmerge", f"#{dup.number}")
    return Reply(Card(f"✂️ #{dup.number} stands on its own again", "Its own votes count for it."))


async def _set_block(ctx: Context, args: Mapping[str, Any], blocked: bool) -> Reply:
    member = await ctx.target_member(args["member"])
    if member.id == ctx.member.id:
        raise UserError("You can't block or unblock yourself.")
    await ctx.store.set_blocked(member.id, blocked)
    name = display_inline(member.display_name, 60)
    await ctx.audit("member.block" if blocked else "member.unblock", name)
    if blocked:
        return Reply(
            Card(
                f"⛔ {name} is blocked", "They can't submit ideas, and their new votes don't count."
            )
        )
    return Reply(Card(f"✅ {name} is unblocked", "They can take part again."))


@registry.command(
    "mod",
    "block",
    description="Stop a member from submitting and voting",
    options=(MEMBER,),
    moderator=True,
    example="/mod block @spammer",
)
async def block(ctx: Context, args: Mapping[str, Any]) -> Reply:
    return await _set_block(ctx, args, True)


@registry.command(
    "mod",
    "unblock",
    description="Let a blocked member take part again",
    options=(MEMBER,),
    moderator=True,
    example="/mod unblock @spammer",
)
async def unblock(ctx: Context, args: Mapping[str, Any]) -> Reply:
    return await _set_block(ctx, args, False)


CHALLENGE = Option("challenge", OptionKind.CHALLENGE, "the challenge", positional=True)


async def _set_void(ctx: Context, args: Mapping[str, Any], voiding: bool) -> Reply:
    """Void a member's votes in a challenge, or restore them: the counted votes they move
    are entries of the vote log, and the points for casting them go or come back."""
    member = await ctx.target_member(args["member"])
    challenge = await ctx.challenge(args.get("challenge"), lambda c: c.phase.running)
    name = display_inline(member.display_name, 60)
    title = display_inline(challenge.title, 60)
    if challenge.phase is Phase.CLOSED:
        raise UserError(
            f"{title} is closed: its results are final, and its votes stay as they are."
        )
    held = await ctx.store.voided_members([challenge.id], [member.id])
    if bool(held) == voiding:
        state = "are already void" if voiding else "are not void"
        raise UserError(f"{name}'s votes in {title} {state}.")
    rows = await ctx.store.member_votes(challenge.id, member.id)
    voted = await ctx.store.ideas_by_ids({r.idea_id for r in rows})
    heads = {i.merged_into_id or i.id for i in voted.values()}

    async def change() -> None:
        by = ctx.member.id if voiding else None
        changed = await ctx.store.set_void(challenge.id, member.id, by, ctx.now)
        sign = -1 if voiding else 1
        cast = [PointsDelta(v.member_id, v.week, votes_cast=sign) for v in changed]
        await ctx.store.add_points(ctx.community.id, cast)

    await ctx.recount(
        challenge,
        heads,
        change,
        action="void" if voiding else "unvoid",
        effects=("voided by a moderator", "restored by a moderator"),
    )
    ctx.changed(*heads)
    await ctx.audit("member.void" if voiding else "member.unvoid", name, challenge.slug)
    numbers = ", ".join(f"#{i.number}" for i in sorted(voted.values(), key=lambda i: i.number))
    what = plural(len(rows), "vote") + (f" ({numbers})" if numbers else "")
    count = "counts" if len(rows) == 1 else "count"
    if voiding:
        return Reply(
            Card(
                f"🧹 {name}'s votes in {title} are void",
                f"{what} no longer {count}, and their new votes in this challenge don't "
                f"count either. `/mod unvoid {member.external_id} {challenge.slug}` restores "
                "them all.",
            )
        )
    return Reply(
        Card(
            f"♻️ {name}'s votes in {title} count again",
            f"{what} {count} again, those cast while they were void included.",
        )
    )


@registry.command(
    "mod",
    "void",
    description="Void a member's votes in a challenge (suspected brigading)",
    options=(MEMBER, CHALLENGE),
    moderator=True,
    example="/mod void @brigader next-flavour",
)
async def void(ctx: Context, args: Mapping[str, Any]) -> Reply:
    return await _set_void(ctx, args, True)


@registry.command(
    "mod",
    "unvoid",
    description="Restore a member's voided votes in a challenge",
    options=(MEMBER, CHALLENGE),
    moderator=True,
    example="/mod unvoid @brigader next-flavour",
)
async def unvoid(ctx: Context, args: Mapping[str, Any]) -> Reply:
    return await _set_void(ctx, args, False)


@registry.command(
    "mod",
    "voters",
    description="An idea's voters: account and join ages, and when they voted",
    options=(IDEA,),
    moderator=True,
    example="/mod voters #12",
)
async def voters(ctx: Context, args: Mapping[str, Any]) -> Reply:
    idea = await ctx.idea(args["idea"])
    challenge = await ctx.challenge_of(idea)
    family = await ctx.store.family(idea.id) if idea.merged_into_id is None else [idea.id]
    rows = sorted(await ctx.store.voters(family), key=lambda v: v.cast_at, reverse=True)
    members = await ctx.store.members_by_ids({v.member_id for v in rows})
    numbers = {i.id: i.number for i in (await ctx.store.ideas_by_ids(family)).values()}
    tz = challenge.settings.timezone
    recent = [
        RecentVote(
            v.member_id,
            members[v.member_id].display_name,
            v.cast_at,
            members[v.member_id].account_created_at,
            members[v.member_id].joined_at,
        )
        for v in rows
    ]
    new = sum(is_new(v, ctx.settings.alerts) for v in recent)
    lines = [
        voter_line(r, tz)
        + (f" · on #{numbers[v.idea_id]}" if v.idea_id != idea.id else "")
        + (" · void" if v.voided else "")
        for r, v in zip(recent, rows, strict=True)
    ][:VOTERS_SHOWN]
    if len(rows) > VOTERS_SHOWN:
        lines.append(f"…and {len(rows) - VOTERS_SHOWN} older votes.")
    alerts = ctx.settings.alerts
    return Reply(
        Card(
            f"🗳️ Voters of {idea_heading(idea)}",
            "\n".join(lines) or "Nobody has voted yet.",
            (
                (
                    "New accounts or members",
                    f"{new} of {plural(len(rows), 'vote')} (accounts under "
                    f"{alerts.young_account_days} days, members under "
                    f"{alerts.young_member_days} days)",
                ),
            ),
            footer="Ages are as the platform gave them, at the time of the vote. "
            f"/mod void <member> {challenge.slug} voids a member's votes.",
        )
    )


@registry.command(
    "mod",
    "queue",
    description="Ideas waiting for review",
    options=(CHALLENGE,),
    moderator=True,
    example="/mod queue",
)
async def queue(ctx: Context, args: Mapping[str, Any]) -> Reply:
    if "challenge" in args:
        chosen = [await ctx.challenge(args["challenge"])]
    else:
        chosen = [c for c in await ctx.store.challenges(ctx.community.id) if c.phase.running]
    lines = []
    for challenge in chosen:
        for idea in await ctx.store.ideas(challenge.id, [IdeaStatus.PENDING]):
            lines.append(f"{idea_heading(idea)} · {display_inline(challenge.title, 40)}")
    body = "\n".join(lines) or "Nothing is waiting for review."
    return Reply(Card("🗂️ Review queue", body, footer="/mod approve #n · /mod reject #n reason"))


@registry.command(
    "mod", "log", description="Recent moderator actions", moderator=True, example="/mod log"
)
async def audit_log(ctx: Context, args: Mapping[str, Any]) -> Reply:
    entries = await ctx.store.audit_entries(ctx.community.id, limit=20)
    names = await ctx.store.members_by_ids({e.actor_id for e in entries})
    sources = {i: await ctx.store.community_by_id(i) for i in {e.source_id for e in entries} if i}
    tz = ctx.settings.core.default_timezone
    lines = [
        f"{when(e.at, tz)} · {display_inline(names[e.actor_id].display_name, 40)}"
        + (f" on {_where(sources[e.source_id])}" if e.source_id else "")
        + f" · {e.action} {e.target}"
        + (f" ({display_inline(e.detail, 80)})" if e.detail else "")
        for e in entries
    ]
    return Reply(Card("📜 Moderator log", "\n".join(lines) or "No moderator actions yet."))


def _where(community: Community) -> str:
    """A linked community as the log names it: "Slack (Acme)"."""
    return f"{community.platform.capitalize()} ({display_inline(community.name, 40)})"


#: The largest number a platform's integer option carries (Discord's: 2^53 - 1).
POST_NUMBER_MAX = 2**53 - 1
POST_STATES = {
    "retry": "waiting to be tried again",
    "claimed": "being sent",
    "failed": "given up on",
}


@registry.command(
    "mod",
    "posts",
    description="Posts not sent yet (or given up on); cancel one, or try one again now",
    options=(
        Option(
            "cancel",
            OptionKind.INT,
            "the number of a post to stop trying",
            min_value=1,
            max_value=POST_NUMBER_MAX,
        ),
        Option(
            "retry",
            OptionKind.INT,
            "the number of a post to try again now",
            min_value=1,
            max_value=POST_NUMBER_MAX,
        ),
    ),
    moderator=True,
    example="/mod posts retry:3",
)
async def posts(ctx: Context, args: Mapping[str, Any]) -> Reply:
    if "cancel" in args or "retry" in args:
        cancel = "cancel" in args
        post_id = int(args["cancel"] if cancel else args["retry"])
        moved = await ctx.store.set_post_state(
            ctx.community.id,
            post_id,
            ("retry", "failed", "claimed") if cancel else ("retry", "failed"),
            "cancelled" if cancel else "retry",
            next_attempt_at=None if cancel else ctx.now,
        )
        if not moved:
            raise UserError(
                f"Post {post_id} is not waiting here. `/mod posts` lists those that are."
            )
        await ctx.audit("post.cancel" if cancel else "post.retry", str(post_id))
        if not cancel:
            ctx.reschedule()
        if cancel:
            return Reply(
                Card(f"🛑 Post {post_id} is cancelled", "Cocreate stops trying to send it.")
            )
        return Reply(
            Card(f"🔁 Post {post_id} is tried again now", "`/mod posts` shows how it went.")
        )
    waiting = await ctx.store.unsent_posts(ctx.community.id)
    slugs = {c.id: c.slug for c in await ctx.store.challenges(ctx.community.id)}
    tz = ctx.settings.core.default_timezone
    lines = []
    for p in waiting[:20]:
        what = outbox.describe(p.kind, p.period, p.payload)
        state = POST_STATES.get(p.state, p.state)
        retry = f", next try {when(p.next_attempt_at, tz)}" if p.next_attempt_at else ""
        error = f" — {display_inline(p.last_error, 120)}" if p.last_error else ""
        lines.append(
            f"{p.id} · {what} in {slugs.get(p.challenge_id, '?')} · {state} after "
            f"{p.attempts} tries{retry}{error}"
        )
    if len(waiting) > 20:
        lines.append(f"…and {len(waiting) - 20} more.")
    return Reply(
        Card(
            "📮 Posts not sent yet",
            "\n".join(lines) or "Every post has been sent.",
            footer="/mod posts cancel:N stops one · /mod posts retry:N tries one again now",
        )
    )
