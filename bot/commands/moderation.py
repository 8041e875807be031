"""Moderator commands: the review queue, statuses, merges, blocks and the audit log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot import i18n, notices, outbox
from bot.alerts import is_new, voter_line
from bot.commands.context import Context
from bot.commands.ideas import IDEA, idea_posts
from bot.commands.spec import Option, OptionKind, registry
from bot.errors import UserError
from bot.events import IdeaMerged, IdeaPublished, IdeaRejected, StatusChanged
from bot.i18n import N_, _, n_, p_
from bot.member_data import FORMER_MEMBER
from bot.messages import Card, Post, PostKind, Reply
from bot.model import SETTABLE_STATUSES, Community, Idea, IdeaStatus, Phase
from bot.ports import PointsDelta, RecentVote
from bot.render import idea_heading, platform_name, status_name, when
from bot.text import clean_user_text, display_inline
from bot.webhooks import events as webhook_events

MEMBER = Option("member", OptionKind.MEMBER, N_("the member"), required=True, positional=True)
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
    with ctx.publicly():
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
    description=N_("Approve an idea waiting for review"),
    options=(IDEA,),
    moderator=True,
    example="/mod approve #12",
)
async def approve(ctx: Context, args: Mapping[str, Any]) -> Reply:
    idea = await ctx.idea(args["idea"])
    if idea.status is not IdeaStatus.PENDING:
        # TRANSLATORS: {status} is the idea's status, such as "rejected" or "planned".
        raise UserError(
            _(
                "#{number} is {status}, not waiting for review.",
                number=idea.number,
                status=status_name(idea.status),
            )
        )
    await _publish(ctx, idea)
    await ctx.audit("idea.approve", f"#{idea.number}")
    title = _("✅ #{number} is approved", number=idea.number)
    return Reply(
        Card(title, _("It is posted for voting.")),
        unsent=Card(
            title,
            # TRANSLATORS: {platform} is Discord or Slack.
            _(
                "It will be posted for voting as soon as {platform} answers.",
                platform=platform_name(ctx.here.platform),
            ),
        ),
    )


@registry.command(
    "mod",
    "reject",
    description=N_("Reject an idea, with a reason the author can read"),
    options=(IDEA, Option("reason", OptionKind.TEXT, N_("why"), positional=True, greedy=True)),
    moderator=True,
    # TRANSLATORS: `/mod reject #12` stays as it is; the reason after it may be translated.
    example=N_("/mod reject #12 not about ice cream"),
)
async def reject(ctx: Context, args: Mapping[str, Any]) -> Reply:
    idea = await ctx.idea(args["idea"])
    if idea.status not in (IdeaStatus.PENDING, IdeaStatus.PUBLISHED):
        # TRANSLATORS: {status} is the idea's status, such as "withdrawn" or "merged".
        raise UserError(
            _(
                "#{number} is {status} and can't be rejected now.",
                number=idea.number,
                status=status_name(idea.status),
            )
        )
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
    with ctx.publicly():
        told = notices.rejected(idea, reason)(notices.IN_THREAD)
    ctx.emit(IdeaRejected(challenge, await notices.thread_posts(ctx.store, [idea.id], told), idea))
    await ctx.audit("idea.reject", f"#{idea.number}", reason or "")
    return Reply(
        Card(
            _("🚫 #{number} is rejected", number=idea.number),
            _("The author sees the reason with `/idea show`."),
        )
    )


@registry.command(
    "mod",
    "status",
    description=N_("Set an idea's status, and tell the community"),
    options=(
        IDEA,
        Option(
            "status",
            OptionKind.CHOICE,
            N_("the new status"),
            required=True,
            positional=True,
            choices=STATUS_CHOICES,
        ),
        Option(
            "note", OptionKind.TEXT, N_("a note for the community"), positional=True, greedy=True
        ),
    ),
    moderator=True,
    # TRANSLATORS: `/mod status #12 planned` stays as it is; the note after it may be translated.
    example=N_("/mod status #12 planned Coming in May"),
)
async def status(ctx: Context, args: Mapping[str, Any]) -> Reply:
    idea = await ctx.idea(args["idea"])
    new = IdeaStatus(args["status"].replace("_", " "))
    if idea.status in (IdeaStatus.WITHDRAWN, IdeaStatus.MERGED, IdeaStatus.REJECTED):
        # TRANSLATORS: {status} is the idea's status, such as "withdrawn" or "merged".
        raise UserError(
            _(
                "#{number} is {status}; its status can't change now.",
                number=idea.number,
                status=status_name(idea.status),
            )
        )
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
    with ctx.publicly():
        body = (
            _("Status: {status} — {note}", status=status_name(new), note=display_inline(note, 300))
            if note
            else _("Status: {status}", status=status_name(new))
        )
        notice = Card(_("📣 Update on {idea}", idea=idea_heading(idea)), body)
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
    with ctx.publicly():
        told = notices.status_changed(idea, new, note)(notices.IN_THREAD)
    posts += await notices.thread_posts(ctx.store, [idea.id], told)
    ctx.emit(StatusChanged(challenge, posts, idea, new))
    ctx.changed(idea.id)
    await ctx.audit("idea.status", f"#{idea.number}", new.value)
    return Reply(
        Card(
            # TRANSLATORS: {status} is the idea's new status, such as "planned".
            _("#{number} is now {status}", number=idea.number, status=status_name(new)),
            _("The community is told in the venues."),
        )
    )


@registry.command(
    "mod",
    "merge",
    description=N_("Merge a duplicate into another idea; votes move, once per member"),
    options=(
        Option(
            "duplicate",
            OptionKind.IDEA,
            N_("the duplicate, like #7"),
            required=True,
            positional=True,
        ),
        Option("into", OptionKind.IDEA, N_("the idea that stays, like #3"), required=True),
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
        raise UserError(_("An idea can't be merged into itself."))
    if dup.challenge_id != target.challenge_id:
        raise UserError(
            _(
                "#{number} and #{other} belong to different challenges.",
                number=dup.number,
                other=target.number,
            )
        )
    if not dup.status.public or not target.status.public:
        raise UserError(_("Only published ideas can be merged."))
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
    with ctx.publicly():
        here = Card(
            _(
                "🔗 {idea} is merged into {other}",
                idea=notices.heading(dup),
                other=notices.heading(target),
            ),
            _(
                "Its votes count for {other}; the conversation goes on in its thread.",
                other=notices.heading(target),
            ),
        )
        there = Card(
            _("🔗 {idea} was merged into this idea", idea=notices.heading(dup)),
            _(
                "Its votes count here now; its own thread stays as it was: {idea}.",
                idea=notices.heading(dup),
            ),
        )
    posts = await notices.thread_posts(ctx.store, [dup.id], here)
    posts += await notices.thread_posts(ctx.store, [target.id], there)
    ctx.emit(IdeaMerged(challenge, posts, merged, target))
    await ctx.audit("idea.merge", f"#{dup.number}", f"into #{target.number}")
    return Reply(
        Card(
            _("🔗 #{number} is merged into #{other}", number=dup.number, other=target.number),
            n_(
                "#{other} now has {n} vote (each member once). Undo with `/mod unmerge #{number}`.",
                "#{other} now has {n} votes (each member once). "
                "Undo with `/mod unmerge #{number}`.",
                len(after[target.id]),
                number=dup.number,
                other=target.number,
            ),
        )
    )


@registry.command(
    "mod",
    "unmerge",
    description=N_("Undo a merge"),
    options=(IDEA,),
    moderator=True,
    example="/mod unmerge #14",
)
async def unmerge(ctx: Context, args: Mapping[str, Any]) -> Reply:
    dup = await ctx.idea(args["idea"])
    if dup.merged_into_id is None:
        raise UserError(_("#{number} is not merged into another idea.", number=dup.number))
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
    return Reply(
        Card(
            _("✂️ #{number} stands on its own again", number=dup.number),
            _("Its own votes count for it."),
        )
    )


async def _set_block(ctx: Context, args: Mapping[str, Any], blocked: bool) -> Reply:
    member = await ctx.target_member(args["member"])
    if member.id == ctx.member.id:
        raise UserError(_("You can't block or unblock yourself."))
    await ctx.store.set_blocked(member.id, blocked)
    name = display_inline(member.display_name, 60)
    await ctx.audit("member.block" if blocked else "member.unblock", name)
    if blocked:
        return Reply(
            Card(
                _("⛔ {name} is blocked", name=name),
                _("They can't submit ideas, and their new votes don't count."),
            )
        )
    return Reply(Card(_("✅ {name} is unblocked", name=name), _("They can take part again.")))


@registry.command(
    "mod",
    "block",
    description=N_("Stop a member from submitting and voting"),
    options=(MEMBER,),
    moderator=True,
    example="/mod block @spammer",
)
async def block(ctx: Context, args: Mapping[str, Any]) -> Reply:
    return await _set_block(ctx, args, True)


@registry.command(
    "mod",
    "unblock",
    description=N_("Let a blocked member take part again"),
    options=(MEMBER,),
    moderator=True,
    example="/mod unblock @spammer",
)
async def unblock(ctx: Context, args: Mapping[str, Any]) -> Reply:
    return await _set_block(ctx, args, False)


CHALLENGE = Option("challenge", OptionKind.CHALLENGE, N_("the challenge"), positional=True)


async def _set_void(ctx: Context, args: Mapping[str, Any], voiding: bool) -> Reply:
    """Void a member's votes in a challenge, or restore them: the counted votes they move
    are entries of the vote log, and the points for casting them go or come back."""
    member = await ctx.target_member(args["member"])
    challenge = await ctx.challenge(args.get("challenge"), lambda c: c.phase.running)
    name = display_inline(member.display_name, 60)
    title = display_inline(challenge.title, 60)
    if challenge.phase is Phase.CLOSED:
        raise UserError(
            _(
                "{challenge} is closed: its results are final, and its votes stay as they are.",
                challenge=title,
            )
        )
    held = await ctx.store.voided_members([challenge.id], [member.id])
    if bool(held) == voiding:
        raise UserError(
            _("{name}'s votes in {challenge} are already void.", name=name, challenge=title)
            if voiding
            else _("{name}'s votes in {challenge} are not void.", name=name, challenge=title)
        )
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
    n = len(rows)
    if voiding:
        if numbers:
            body = n_(
                "{n} vote ({numbers}) no longer counts, and their new votes in this challenge "
                "don't count either. `/mod unvoid {member} {challenge}` restores them all.",
                "{n} votes ({numbers}) no longer count, and their new votes in this challenge "
                "don't count either. `/mod unvoid {member} {challenge}` restores them all.",
                n,
                numbers=numbers,
                member=member.external_id,
                challenge=challenge.slug,
            )
        else:
            body = n_(
                "{n} vote no longer counts, and their new votes in this challenge "
                "don't count either. `/mod unvoid {member} {challenge}` restores them all.",
                "{n} votes no longer count, and their new votes in this challenge "
                "don't count either. `/mod unvoid {member} {challenge}` restores them all.",
                n,
                member=member.external_id,
                challenge=challenge.slug,
            )
        return Reply(
            Card(_("🧹 {name}'s votes in {challenge} are void", name=name, challenge=title), body)
        )
    if numbers:
        body = n_(
            "{n} vote ({numbers}) counts again, those cast while they were void included.",
            "{n} votes ({numbers}) count again, those cast while they were void included.",
            n,
            numbers=numbers,
        )
    else:
        body = n_(
            "{n} vote counts again, those cast while they were void included.",
            "{n} votes count again, those cast while they were void included.",
            n,
        )
    return Reply(
        Card(_("♻️ {name}'s votes in {challenge} count again", name=name, challenge=title), body)
    )


@registry.command(
    "mod",
    "void",
    description=N_("Void a member's votes in a challenge (suspected brigading)"),
    options=(MEMBER, CHALLENGE),
    moderator=True,
    example="/mod void @brigader next-flavour",
)
async def void(ctx: Context, args: Mapping[str, Any]) -> Reply:
    return await _set_void(ctx, args, True)


@registry.command(
    "mod",
    "unvoid",
    description=N_("Restore a member's voided votes in a challenge"),
    options=(MEMBER, CHALLENGE),
    moderator=True,
    example="/mod unvoid @brigader next-flavour",
)
async def unvoid(ctx: Context, args: Mapping[str, Any]) -> Reply:
    return await _set_void(ctx, args, False)


@registry.command(
    "mod",
    "voters",
    description=N_("An idea's voters: account and join ages, and when they voted"),
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
        # TRANSLATORS: a vote cast on another idea merged into this one
        + (" · " + _("on #{number}", number=numbers[v.idea_id]) if v.idea_id != idea.id else "")
        + (" · " + p_("a voided vote", "void") if v.voided else "")
        for r, v in zip(recent, rows, strict=True)
    ][:VOTERS_SHOWN]
    if len(rows) > VOTERS_SHOWN:
        older = len(rows) - VOTERS_SHOWN
        lines.append(n_("…and {n} older vote.", "…and {n} older votes.", older))
    alerts = ctx.settings.alerts
    return Reply(
        Card(
            _("🗳️ Voters of {idea}", idea=idea_heading(idea)),
            "\n".join(lines) or _("Nobody has voted yet."),
            (
                (
                    _("New accounts or members"),
                    n_(
                        "{new} of {n} vote (accounts under {account_days} days, members "
                        "under {member_days} days)",
                        "{new} of {n} votes (accounts under {account_days} days, members "
                        "under {member_days} days)",
                        len(rows),
                        new=i18n.number(new),
                        account_days=i18n.number(alerts.young_account_days),
                        member_days=i18n.number(alerts.young_member_days),
                    ),
                ),
            ),
            # TRANSLATORS: `/mod void` stays as it is; <member> is what the moderator types.
            footer=_(
                "Ages are as the platform gave them, at the time of the vote. "
                "/mod void <member> {challenge} voids a member's votes.",
                challenge=challenge.slug,
            ),
        )
    )


@registry.command(
    "mod",
    "queue",
    description=N_("Ideas waiting for review"),
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
    body = "\n".join(lines) or _("Nothing is waiting for review.")
    return Reply(
        Card(
            _("🗂️ Review queue"),
            body,
            # TRANSLATORS: the commands stay as they are; "reason" is what the moderator types.
            footer=_("/mod approve #n · /mod reject #n reason"),
        )
    )


#: What `/mod log` says of each moderator action (its key in the log): `{target}` is what
#: it was done to; a message with `{detail}` says the detail itself, otherwise the detail
#: follows in brackets.
AUDIT_ACTIONS: dict[str, str] = {
    "idea.approve": N_("approved {target}"),
    "idea.reject": N_("rejected {target}"),
    # TRANSLATORS: {detail} is the idea's new status, such as "planned".
    "idea.status": N_("set the status of {target} to {detail}"),
    "idea.merge": N_("merged {target} into {detail}"),
    "idea.unmerge": N_("unmerged {target}"),
    "idea.edit": N_("edited {target}"),
    # TRANSLATORS: {detail} is the name of the member the idea was captured for.
    "idea.capture": N_("captured {target} for {detail}"),
    "member.block": N_("blocked {target}"),
    "member.unblock": N_("unblocked {target}"),
    "member.void": N_("voided the votes of {target}"),
    "member.unvoid": N_("restored the votes of {target}"),
    "member.forget": N_("forgot {target}"),
    "post.cancel": N_("cancelled post {target}"),
    "post.retry": N_("tried post {target} again"),
    "challenge.create": N_("created the challenge {target}"),
    "challenge.edit": N_("edited the challenge {target}"),
    "challenge.open": N_("opened the challenge {target}"),
    "challenge.advance": N_("moved the challenge {target} on"),
    "challenge.close": N_("closed the challenge {target}"),
    "challenge.delete": N_("deleted the challenge {target}"),
    "results.post": N_("posted the results of {target}"),
    "results.loop": N_("posted “You said, we did”"),
    "export": N_("exported {target}"),
    # TRANSLATORS: {target} is a language tag, such as "de" or "pt-BR".
    "language": N_("set the community's language to {target}"),
    "token.create": N_("created API token {target}"),
    "token.revoke": N_("revoked API token {target}"),
    "webhook.add": N_("added webhook {target}"),
    "webhook.remove": N_("removed webhook {target}"),
    "webhook.enable": N_("enabled webhook {target}"),
    "org.link": N_("issued a code to link a community"),
    "org.join": N_("linked this community into organisation {target}"),
    "org.leave": N_("unlinked this community from its organisation"),
}
#: The words the log keeps before what an action was done to ("token 3") and before its
#: detail ("into #3"), by action: the message says them in the language in force.
_TARGET_PREFIXES = {
    "token.create": "token ",
    "token.revoke": "token ",
    "webhook.add": "webhook ",
    "webhook.remove": "webhook ",
    "webhook.enable": "webhook ",
    "org.join": "organisation ",
}
_DETAIL_PREFIXES = {"idea.merge": "into ", "idea.capture": "for "}
#: Details the log keeps in words.
AUDIT_DETAILS: dict[str, str] = {
    "at their own request": N_("at their own request"),
    "by a moderator": N_("by a moderator"),
    "voting": N_("to voting"),
}


def _unprefixed(text: str, prefix: str | None) -> str:
    return text[len(prefix) :] if prefix and text.startswith(prefix) else text


def _audit_detail(action: str, detail: str) -> str:
    if action == "idea.status":
        found = next((s for s in IdeaStatus if s.value == detail), None)
        return status_name(found) if found is not None else detail
    if action == "results.loop":
        count = detail.split(" ", 1)[0]
        if count.isdigit():
            return n_("{n} idea", "{n} ideas", int(count))
    if detail in AUDIT_DETAILS:
        return _(AUDIT_DETAILS[detail])
    return _unprefixed(detail, _DETAIL_PREFIXES.get(action))


def audit_text(action: str, target: str, detail: str) -> str:
    """A moderator action as `/mod log` says it: "blocked Ben (spam)"."""
    message = AUDIT_ACTIONS.get(action)
    target = _unprefixed(target, _TARGET_PREFIXES.get(action))
    if target == FORMER_MEMBER:
        target = _(FORMER_MEMBER)
    shown = display_inline(_audit_detail(action, detail), 80) if detail else ""
    if message is None:
        text = f"{action} {target}"
    elif "{detail}" in message:
        return _(message, target=target, detail=shown)
    else:
        text = _(message, target=target)
    return f"{text} ({shown})" if shown else text


@registry.command(
    "mod", "log", description=N_("Recent moderator actions"), moderator=True, example="/mod log"
)
async def audit_log(ctx: Context, args: Mapping[str, Any]) -> Reply:
    entries = await ctx.store.audit_entries(ctx.community.id, limit=20)
    names = await ctx.store.members_by_ids({e.actor_id for e in entries})
    sources = {i: await ctx.store.community_by_id(i) for i in {e.source_id for e in entries} if i}
    tz = ctx.settings.core.default_timezone
    lines = []
    for e in entries:
        at = when(e.at, tz)
        actor = display_inline(names[e.actor_id].display_name, 40)
        if actor == FORMER_MEMBER:
            actor = _(FORMER_MEMBER)
        action = audit_text(e.action, e.target, e.detail)
        if e.source_id:
            # TRANSLATORS: {where} is a linked community, such as "Slack (Acme)".
            line = _(
                "{when} · {actor} on {where} · {action}",
                when=at,
                actor=actor,
                where=_where(sources[e.source_id]),
                action=action,
            )
        else:
            line = _("{when} · {actor} · {action}", when=at, actor=actor, action=action)
        lines.append(line)
    return Reply(Card(_("📜 Moderator log"), "\n".join(lines) or _("No moderator actions yet.")))


def _where(community: Community) -> str:
    """A linked community as the log names it: "Slack (Acme)"."""
    return f"{platform_name(community.platform)} ({display_inline(community.name, 40)})"


#: The largest number a platform's integer option carries (Discord's: 2^53 - 1).
POST_NUMBER_MAX = 2**53 - 1
POST_STATES = {
    "retry": N_("waiting to be tried again"),
    "claimed": N_("being sent"),
    "failed": N_("given up on"),
}


@registry.command(
    "mod",
    "posts",
    description=N_("Posts not sent yet (or given up on); cancel one, or try one again now"),
    options=(
        Option(
            "cancel",
            OptionKind.INT,
            N_("the number of a post to stop trying"),
            min_value=1,
            max_value=POST_NUMBER_MAX,
        ),
        Option(
            "retry",
            OptionKind.INT,
            N_("the number of a post to try again now"),
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
                _(
                    "Post {number} is not waiting here. `/mod posts` lists those that are.",
                    number=post_id,
                )
            )
        await ctx.audit("post.cancel" if cancel else "post.retry", str(post_id))
        if not cancel:
            ctx.reschedule()
        if cancel:
            return Reply(
                Card(
                    _("🛑 Post {number} is cancelled", number=post_id),
                    _("Cocreate stops trying to send it."),
                )
            )
        return Reply(
            Card(
                _("🔁 Post {number} is tried again now", number=post_id),
                _("`/mod posts` shows how it went."),
            )
        )
    waiting = await ctx.store.unsent_posts(ctx.community.id)
    slugs = {c.id: c.slug for c in await ctx.store.challenges(ctx.community.id)}
    tz = ctx.settings.core.default_timezone
    lines = []
    for p in waiting[:20]:
        what = outbox.describe(p.kind, p.period, p.payload)
        state = _(POST_STATES[p.state]) if p.state in POST_STATES else p.state
        error = f" — {display_inline(p.last_error, 120)}" if p.last_error else ""
        where = slugs.get(p.challenge_id, "?")
        if p.next_attempt_at:
            line = n_(
                "{number} · {what} in {challenge} · {state} after {n} try, next try {when}",
                "{number} · {what} in {challenge} · {state} after {n} tries, next try {when}",
                p.attempts,
                number=p.id,
                what=what,
                challenge=where,
                state=state,
                when=when(p.next_attempt_at, tz),
            )
        else:
            line = n_(
                "{number} · {what} in {challenge} · {state} after {n} try",
                "{number} · {what} in {challenge} · {state} after {n} tries",
                p.attempts,
                number=p.id,
                what=what,
                challenge=where,
                state=state,
            )
        lines.append(line + error)
    if len(waiting) > 20:
        lines.append(n_("…and {n} more.", "…and {n} more.", len(waiting) - 20))
    return Reply(
        Card(
            _("📮 Posts not sent yet"),
            "\n".join(lines) or _("Every post has been sent."),
            # TRANSLATORS: the commands stay as they are.
            footer=_("/mod posts cancel:N stops one · /mod posts retry:N tries one again now"),
        )
    )
