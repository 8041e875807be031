"""Moderator commands: the review queue, statuses, merges, blocks and the audit log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot import outbox
from bot.commands.context import Context
from bot.commands.ideas import IDEA, idea_posts
from bot.commands.spec import Option, OptionKind, registry
from bot.errors import UserError
from bot.messages import Card, Post, PostKind, Reply
from bot.model import SETTABLE_STATUSES, Idea, IdeaStatus
from bot.render import idea_heading, when
from bot.text import clean_user_text, display_inline

MEMBER = Option("member", OptionKind.MEMBER, "the member", required=True, positional=True)
STATUS_CHOICES = tuple(s.value.replace(" ", "_") for s in SETTABLE_STATUSES)


async def _publish(ctx: Context, idea: Idea) -> None:
    """Make a pending idea public: points, 💡 Spark, and its posts in every venue."""
    challenge = await ctx.challenge_of(idea)
    published = replace(idea, status=IdeaStatus.PUBLISHED, published_at=ctx.now)
    await ctx.store.update_idea(
        idea.id, status=IdeaStatus.PUBLISHED.value, published_at=ctx.now, updated_at=ctx.now
    )
    ctx.awards += await ctx.rewards.idea_published(ctx.store, published, ctx.now)
    author = (await ctx.store.members_by_ids([idea.author_id]))[idea.author_id]
    ctx.post(challenge, idea_posts(published, challenge, author.display_name))


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
)
async def reject(ctx: Context, args: Mapping[str, Any]) -> Reply:
    idea = await ctx.idea(args["idea"])
    if idea.status not in (IdeaStatus.PENDING, IdeaStatus.PUBLISHED):
        raise UserError(f"#{idea.number} is {idea.status.value} and can't be rejected now.")
    reason = _note(ctx, args.get("reason"))
    await ctx.store.update_idea(
        idea.id, status=IdeaStatus.REJECTED.value, status_note=reason, updated_at=ctx.now
    )
    if idea.status is IdeaStatus.PUBLISHED:
        await ctx.rewards.idea_unpublished(ctx.store, idea)
        ctx.refresh.add(idea.id)
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
)
async def status(ctx: Context, args: Mapping[str, Any]) -> Reply:
    idea = await ctx.idea(args["idea"])
    new = IdeaStatus(args["status"].replace("_", " "))
    if idea.status in (IdeaStatus.WITHDRAWN, IdeaStatus.MERGED, IdeaStatus.REJECTED):
        raise UserError(f"#{idea.number} is {idea.status.value}; its status can't change now.")
    if idea.status is IdeaStatus.PENDING:
        await _publish(ctx, idea)
    note = _note(ctx, args.get("note"))
    await ctx.store.update_idea(idea.id, status=new.value, status_note=note, updated_at=ctx.now)
    if new is IdeaStatus.IMPLEMENTED:
        ctx.awards += await ctx.rewards.shipped(ctx.store, idea, ctx.now)
    challenge = await ctx.challenge_of(idea)
    body = f"Status: {new.value}" + (f" — {display_inline(note, 300)}" if note else "")
    notice = Card(f"📣 Update on {idea_heading(idea)}", body)
    ctx.post(challenge, (Post(v, PostKind.NOTICE, notice) for v in challenge.venues))
    ctx.refresh.add(idea.id)
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
    await ctx.store.update_idea(
        dup.id, status=IdeaStatus.MERGED.value, merged_into_id=target.id, updated_at=ctx.now
    )
    for child in await ctx.store.family(dup.id):
        if child != dup.id:
            await ctx.store.update_idea(child, merged_into_id=target.id)
    counts = await ctx.store.recount([target.id])
    await ctx.store.update_idea(dup.id, vote_count=0)
    ctx.refresh.update({dup.id, target.id})
    await ctx.audit("idea.merge", f"#{dup.number}", f"into #{target.number}")
    return Reply(
        Card(
            f"🔗 #{dup.number} is merged into #{target.number}",
            f"#{target.number} now has {counts.get(target.id, 0)} votes (each member once). "
            f"Undo with `/mod unmerge #{dup.number}`.",
        )
    )


@registry.command("mod", "unmerge", description="Undo a merge", options=(IDEA,), moderator=True)
async def unmerge(ctx: Context, args: Mapping[str, Any]) -> Reply:
    dup = await ctx.idea(args["idea"])
    if dup.merged_into_id is None:
        raise UserError(f"#{dup.number} is not merged into another idea.")
    head = dup.merged_into_id
    await ctx.store.update_idea(
        dup.id, status=IdeaStatus.PUBLISHED.value, merged_into_id=None, updated_at=ctx.now
    )
    await ctx.store.recount([dup.id, head])
    ctx.refresh.update({dup.id, head})
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
)
async def block(ctx: Context, args: Mapping[str, Any]) -> Reply:
    return await _set_block(ctx, args, True)


@registry.command(
    "mod",
    "unblock",
    description="Let a blocked member take part again",
    options=(MEMBER,),
    moderator=True,
)
async def unblock(ctx: Context, args: Mapping[str, Any]) -> Reply:
    return await _set_block(ctx, args, False)


@registry.command(
    "mod",
    "queue",
    description="Ideas waiting for review",
    options=(Option("challenge", OptionKind.CHALLENGE, "the challenge", positional=True),),
    moderator=True,
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


@registry.command("mod", "log", description="Recent moderator actions", moderator=True)
async def audit_log(ctx: Context, args: Mapping[str, Any]) -> Reply:
    entries = await ctx.store.audit_entries(ctx.community.id, limit=20)
    names = await ctx.store.members_by_ids({e.actor_id for e in entries})
    tz = ctx.settings.core.default_timezone
    lines = [
        f"{when(e.at, tz)} · {display_inline(names[e.actor_id].display_name, 40)} · {e.action} "
        f"{e.target}" + (f" ({display_inline(e.detail, 80)})" if e.detail else "")
        for e in entries
    ]
    return Reply(Card("📜 Moderator log", "\n".join(lines) or "No moderator actions yet."))


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
        Option("cancel", OptionKind.INT, "the number of a post to stop trying", min_value=1),
        Option("retry", OptionKind.INT, "the number of a post to try again now", min_value=1),
    ),
    moderator=True,
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
        ctx.schedule_changed = not cancel
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
