"""Capturing an idea from a chat message (Discord's "Submit as idea" message menu, Slack's
message shortcut, or `/idea capture`): the idea is the message author's. Captured by
someone else, it waits for its author, who is asked by direct message to confirm, edit
or decline it; it is published (or queued for review) only once they confirm."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot import i18n
from bot.commands.context import Context
from bot.commands.ideas import (
    ACCEPT_TERMS,
    ANONYMOUS,
    CHALLENGE,
    DESCRIPTION,
    IDEA,
    TITLE,
    enter,
    may_submit,
    submissions_closed,
    submit_own,
    within_terms_and_limit,
)
from bot.commands.spec import Option, OptionKind, registry
from bot.errors import UserError
from bot.events import DirectMessage
from bot.i18n import N_, _, n_
from bot.messages import ActionStyle, Card, CardAction, Reply
from bot.model import Challenge, IdeaStatus, Member, Phase
from bot.render import quoted, status_name
from bot.text import clean_user_text, display_inline, neutralize_mentions

SOURCE_MAX = 500
_SOURCE = re.compile(r"https://[^\s<>\"'`]{1," + str(SOURCE_MAX) + "}")

AUTHOR = Option(
    "author", OptionKind.MEMBER, N_("whose message it was"), required=True, positional=True
)
SOURCE = Option("source", OptionKind.TEXT, N_("a link to the message"))


def source_link(raw: Any) -> str | None:
    """The link to the original message: one https URL, or nothing."""
    if raw is None or not str(raw).strip():
        return None
    text = str(raw).strip()
    if not _SOURCE.fullmatch(text):
        raise UserError(_("`source:` takes the message's link, such as https://…"))
    return text


def _open(challenge: Challenge) -> bool:
    return challenge.phase is Phase.OPEN


@registry.command(
    "idea",
    "capture",
    description=N_("Turn a member's message into their idea; they confirm it before it's posted"),
    options=(
        AUTHOR,
        CHALLENGE,
        TITLE,
        DESCRIPTION,
        SOURCE,
        # Only for your own message: the author chooses these when they confirm.
        Option("anonymous", OptionKind.BOOL, N_("your own message: hide your name")),
        Option("accept_terms", OptionKind.BOOL, N_("your own message: accept the terms")),
    ),
    example='/idea capture @ana title:"Oat milk" description:"Ana asked for it in #general"',
)
async def capture(ctx: Context, args: Mapping[str, Any]) -> Reply:
    source = source_link(args.get("source"))
    author = await ctx.target_member(args["author"])
    if author.id == ctx.member.id:
        return await submit_own(ctx, {k: v for k, v in args.items() if k != "author"}, source)
    if author.is_bot:
        raise UserError(_("A bot's message can't become an idea: ideas belong to members."))
    challenge = await ctx.challenge(args.get("challenge"), _open, "to submit to")
    why = submissions_closed(challenge, ctx)
    if why:
        raise UserError(why)
    if author.blocked:
        raise UserError(
            _("{name} can't submit ideas here.", name=display_inline(author.display_name, 80))
        )
    if "title" not in args or "description" not in args:
        raise UserError(
            _(
                'An idea needs a title and a description: `/idea capture @member title:"…" '
                'description:"…"`.'
            )
        )
    # Each capture sends the author a direct message: no more waiting than they may submit.
    waiting = await ctx.store.count_ideas(challenge.id, (IdeaStatus.AWAITING_AUTHOR,), author.id)
    if waiting >= challenge.settings.ideas_per_member:
        raise UserError(
            n_(
                "{name} already has {n} captured idea waiting for them in {challenge}. "
                "Let them confirm or decline it first.",
                "{name} already has {n} captured ideas waiting for them in {challenge}. "
                "Let them confirm or decline those first.",
                waiting,
                name=display_inline(author.display_name, 80),
                challenge=quoted(challenge.title),
            )
        )
    limits = ctx.settings.limits
    title = clean_user_text(args["title"], max_len=limits.title_max, field="title", multiline=False)
    description = clean_user_text(
        args["description"], max_len=limits.description_max, field="description", multiline=True
    )
    idea = await ctx.store.add_idea(
        {
            "community_id": ctx.community.id,
            "challenge_id": challenge.id,
            "number": await ctx.store.take_idea_number(ctx.community.id),
            "title": title,
            "description": description,
            "author_id": author.id,
            "anonymous": False,
            "status": IdeaStatus.AWAITING_AUTHOR.value,
            "submitted_at": ctx.now,
            "published_at": None,
            "updated_at": ctx.now,
        }
    )
    if source:
        await ctx.store.update_idea(idea.id, source_url=source)
    await ctx.audit("idea.capture", f"#{idea.number}", f"for {author.display_name}")
    # The author is asked in their own language.
    with i18n.speaking(author.reads(ctx.community)):
        asked = ask_author(ctx, author, idea.number, challenge, title, description, source)
    ctx.emit(DirectMessage(ctx.here.ref, author.external_id, asked, for_other=author.display_name))
    name = display_inline(author.display_name, 80)
    return Reply(
        Card(
            _("📨 Idea #{number} waits for {name}", number=idea.number, name=name),
            _(
                "It is {name}'s idea, posted only once they confirm it; they can edit it first "
                "or decline it.",
                name=name,
            ),
        )
    )


def ask_author(
    ctx: Context,
    author: Member,
    number: int,
    challenge: Challenge,
    title: str,
    description: str,
    source: str | None,
) -> Card:
    """The direct message asking the author to confirm, edit or decline."""
    by = display_inline(ctx.member.display_name, 80)
    body = _(
        "{by} suggests your message as an idea for {challenge}:",
        by=by,
        challenge=quoted(challenge.title),
    )
    how = (
        _(
            "In {where}: `/idea confirm #{number}` posts it as yours, "
            "`/idea edit #{number}` changes it first, `/idea decline #{number}` drops it.",
            where=display_inline(ctx.here.name, 80),
            number=number,
        )
        if ctx.here.name
        else _(
            "In the community: `/idea confirm #{number}` posts it as yours, "
            "`/idea edit #{number}` changes it first, `/idea decline #{number}` drops it.",
            number=number,
        )
    )
    return Card(
        _("💡 Your message as idea #{number}?", number=number),
        f"{body}\n“{display_inline(title, 200)}”\n{neutralize_mentions(description)}",
        ((_("From the message"), source),) if source else (),
        how,
        author_actions(number),
    )


def author_actions(number: int) -> tuple[CardAction, ...]:
    """The buttons of that message: each runs its command as whoever clicks, so only the
    author gets anywhere; Edit opens the `/idea edit #n` form first."""
    return (
        # TRANSLATORS: a button: posts the captured idea as the member's own
        CardAction(_("Confirm"), ("idea", "confirm"), number, style=ActionStyle.PRIMARY),
        # TRANSLATORS: a button: opens a form to change the captured idea first
        CardAction(_("Edit"), ("idea", "edit"), number, form=True),
        # TRANSLATORS: a button: drops the captured idea, which is never posted
        CardAction(_("Decline"), ("idea", "decline"), number, style=ActionStyle.DANGER),
    )


#: What `/idea confirm` and `/idea decline` say when the idea isn't the caller's to
#: decide, or isn't waiting: (not the author, not waiting), by command.
_NOT_AWAITING = {
    "confirm": (
        N_("Only the author of #{number} can confirm it."),
        N_("#{number} is {status}: there is nothing to confirm."),
    ),
    "decline": (
        N_("Only the author of #{number} can decline it."),
        N_("#{number} is {status}: there is nothing to decline."),
    ),
}


async def _awaiting(ctx: Context, number: int, doing: str) -> Any:
    idea = await ctx.idea(number)
    not_author, not_waiting = _NOT_AWAITING[doing]
    if idea.author_id != ctx.member.id:
        raise UserError(_(not_author, number=idea.number))
    if idea.status is not IdeaStatus.AWAITING_AUTHOR:
        raise UserError(_(not_waiting, number=idea.number, status=status_name(idea.status)))
    return idea


@registry.command(
    "idea",
    "confirm",
    description=N_("Confirm an idea captured from your message: it is posted as yours"),
    options=(
        IDEA,
        ANONYMOUS,
        ACCEPT_TERMS,
    ),
    example="/idea confirm #12",
)
async def confirm(ctx: Context, args: Mapping[str, Any]) -> Reply:
    idea = await _awaiting(ctx, args["idea"], "confirm")
    challenge = await ctx.challenge_of(idea)
    may_submit(ctx, challenge)
    await within_terms_and_limit(
        ctx,
        challenge,
        args,
        accept=_(
            "Add `accept_terms:yes` to accept them: `/idea confirm #{number} accept_terms:yes`.",
            number=idea.number,
        ),
        make_room=_(
            "Withdraw one with `/idea withdraw #n`, or `/idea decline #{number}`.",
            number=idea.number,
        ),
    )
    review = challenge.settings.review
    status = IdeaStatus.PENDING if review else IdeaStatus.PUBLISHED
    anonymous = bool(args.get("anonymous", False))
    published_at = None if review else ctx.now
    await ctx.store.update_idea(
        idea.id,
        status=status.value,
        anonymous=anonymous,
        published_at=published_at,
        updated_at=ctx.now,
    )
    idea = replace(idea, status=status, anonymous=anonymous, published_at=published_at)
    first, unsent = await enter(ctx, challenge, idea, ctx.member.display_name)
    title = _("💡 Idea #{number} is in!", number=idea.number)
    return Reply(
        Card(title, first),
        unsent=Card(title, unsent) if unsent else None,
    )


@registry.command(
    "idea",
    "decline",
    description=N_("Decline an idea captured from your message: it is never posted"),
    options=(IDEA,),
    example="/idea decline #12",
)
async def decline(ctx: Context, args: Mapping[str, Any]) -> Reply:
    idea = await _awaiting(ctx, args["idea"], "decline")
    await ctx.store.update_idea(idea.id, status=IdeaStatus.WITHDRAWN.value, updated_at=ctx.now)
    return Reply(
        Card(
            _("🗑️ #{number} is declined", number=idea.number),
            _("It is not posted, and stays yours."),
        )
    )
