"""Member commands on ideas: submit, edit, withdraw, show, and the list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot import i18n, privacy
from bot.commands.context import Context
from bot.commands.spec import Option, OptionKind, registry
from bot.errors import UserError
from bot.events import IdeaPublished, IdeaSubmitted
from bot.finding import ROADMAP_STATUSES, SEARCH_MAX, IdeaQuery
from bot.i18n import N_, _, n_
from bot.messages import MODERATORS, Card, Post, PostKind, Reply
from bot.model import PUBLIC_STATUSES, Challenge, Idea, IdeaStatus, Phase
from bot.render import (
    idea_card,
    idea_heading,
    more_line,
    quoted,
    status_name,
    status_text,
    vote_text,
    when,
)
from bot.text import clean_user_text, display_inline, neutralize_mentions, similar_items
from bot.webhooks import events as webhook_events

IDEA = Option(
    "idea", OptionKind.IDEA, N_("the idea's number, like #12"), required=True, positional=True
)
CHALLENGE = Option(
    "challenge",
    OptionKind.CHALLENGE,
    N_("the challenge (by default the one running here)"),
    positional=True,
)
TITLE = Option("title", OptionKind.TEXT, N_("a short title"), limit="title_max")
DESCRIPTION = Option(
    "description", OptionKind.LONG_TEXT, N_("what it is and why"), limit="description_max"
)
COUNTED_FOR_LIMIT = (
    IdeaStatus.PENDING,
    *(s for s in IdeaStatus if s.public),
    IdeaStatus.MERGED,
)


def author_label(ctx: Context, idea: Idea, name: str) -> str:
    shown = privacy.author_shown(idea, name, moderator=False)
    if shown is not None:
        return shown
    return _("anonymous ({name})", name=name) if ctx.is_moderator else _("anonymous")


def votes_visible(ctx: Context, challenge: Challenge) -> bool:
    return privacy.votes_visible(challenge, moderator=ctx.is_moderator)


def idea_posts(idea: Idea, challenge: Challenge, author: str) -> list[Post]:
    """One post per venue, each with the vote reaction added by the bot. Public: the caller
    renders them in the community's language (`ctx.publicly()`)."""
    shown = _("anonymous") if idea.anonymous else author
    return [
        Post(
            venue,
            PostKind.IDEA,
            idea_card(idea, challenge, shown),
            idea_id=idea.id,
            idea_number=idea.number,
            vote_emoji=challenge.settings.vote_emoji,
        )
        for venue in challenge.venues
    ]


def review_post(idea: Idea, challenge: Challenge, author: str) -> Post:
    """For the moderators' channel, where adapters add Approve and Reject buttons. Public:
    the caller renders it in the community's language (`ctx.publicly()`)."""
    card = idea_card(idea, challenge, author)
    return Post(
        MODERATORS,
        PostKind.REVIEW,
        Card(
            _("🗂️ Review {idea}", idea=idea_heading(idea)),
            card.body,
            card.fields,
            # TRANSLATORS: commands; only "reason" (what a moderator types there) may change
            _(
                "/mod approve #{number} · /mod reject #{number} reason",
                number=idea.number,
            ),
        ),
        idea_id=None,
        idea_number=idea.number,
    )


def submissions_closed(challenge: Challenge, ctx: Context) -> str | None:
    """Why this challenge takes no ideas now, or None when it does."""
    name = quoted(challenge.title)
    tz = challenge.settings.timezone
    deadline = challenge.submissions_close_at
    if challenge.phase is Phase.DRAFT:
        return _(
            "Challenge {name} hasn't opened yet. Watch this channel for the announcement.",
            name=name,
        )
    if challenge.phase is Phase.CLOSED:
        return _(
            "Challenge {name} is closed. See the results with `/results {slug}`.",
            name=name,
            slug=challenge.slug,
        )
    if challenge.phase is Phase.VOTING or (deadline is not None and ctx.now >= deadline):
        until = challenge.voting_close_at
        values = {"name": name, "slug": challenge.slug}
        if deadline and until:
            return _(
                "Challenge {name} closed its submissions on {closed}; voting is open until "
                "{until}. See the ideas with `/ideas {slug}`.",
                closed=when(deadline, tz),
                until=when(until, tz),
                **values,
            )
        if deadline:
            return _(
                "Challenge {name} closed its submissions on {closed}; voting is open. "
                "See the ideas with `/ideas {slug}`.",
                closed=when(deadline, tz),
                **values,
            )
        if until:
            return _(
                "Challenge {name} closed its submissions; voting is open until {until}. "
                "See the ideas with `/ideas {slug}`.",
                until=when(until, tz),
                **values,
            )
        return _(
            "Challenge {name} closed its submissions; voting is open. "
            "See the ideas with `/ideas {slug}`.",
            **values,
        )
    return None


ANONYMOUS = Option("anonymous", OptionKind.BOOL, N_("hide your name from other members"))
ACCEPT_TERMS = Option("accept_terms", OptionKind.BOOL, N_("accept the challenge's terms"))


def may_submit(ctx: Context, challenge: Challenge) -> None:
    """Submissions are open, and the caller is not blocked (every way of submitting)."""
    why = submissions_closed(challenge, ctx)
    if why:
        raise UserError(why)
    if ctx.member.blocked:
        raise UserError(
            _(
                "You can't submit ideas in this community right now. "
                "Ask a moderator if you think this is a mistake."
            )
        )


async def within_terms_and_limit(
    ctx: Context, challenge: Challenge, args: Mapping[str, Any], *, accept: str, make_room: str
) -> None:
    """The challenge's terms are accepted and the caller has room under its idea limit;
    `accept` and `make_room` say how, for the command at hand (each a whole sentence, in the
    language in force)."""
    terms = challenge.settings.terms
    if terms and not args.get("accept_terms"):
        raise UserError(
            _(
                "Challenge {name} has terms: “{terms}”.",
                name=quoted(challenge.title),
                terms=display_inline(terms, 300),
            )
            + " "
            + accept
        )
    mine = await ctx.store.count_ideas(challenge.id, COUNTED_FOR_LIMIT, ctx.member.id)
    allowed = challenge.settings.ideas_per_member
    if mine >= allowed:
        raise UserError(
            n_(
                "You have submitted {n} idea to {name}, the limit is {limit}.",
                "You have submitted {n} ideas to {name}, the limit is {limit}.",
                mine,
                name=quoted(challenge.title),
                limit=i18n.number(allowed),
            )
            + " "
            + make_room
        )


@registry.command(
    "idea",
    "submit",
    description=N_("Submit an idea to a challenge"),
    options=(
        CHALLENGE,
        TITLE,
        DESCRIPTION,
        ANONYMOUS,
        ACCEPT_TERMS,
    ),
    form=True,
    example='/idea submit title:"Salted caramel" description:"Crunchy salted bits"',
)
async def submit(ctx: Context, args: Mapping[str, Any]) -> Reply:
    return await submit_own(ctx, args)


async def submit_own(ctx: Context, args: Mapping[str, Any], source: str | None = None) -> Reply:
    """The caller's idea; `source` links to the chat message it was captured from."""
    challenge = await ctx.challenge(
        args.get("challenge"), lambda c: c.phase is Phase.OPEN, "to submit to"
    )
    may_submit(ctx, challenge)
    if "title" not in args or "description" not in args:
        raise UserError(
            _('An idea needs a title and a description: `/idea submit title:"…" description:"…"`.')
        )
    limits = ctx.settings.limits
    title = clean_user_text(args["title"], max_len=limits.title_max, field="title", multiline=False)
    description = clean_user_text(
        args["description"], max_len=limits.description_max, field="description", multiline=True
    )
    await within_terms_and_limit(
        ctx,
        challenge,
        args,
        accept=_("Add `accept_terms:yes` to accept them and submit."),
        make_room=_("You can withdraw one with `/idea withdraw #n`."),
    )
    similar = similar_items(
        f"{title} {description}",
        await ctx.store.idea_texts(challenge.id, PUBLIC_STATUSES),
        ctx.settings.similarity.threshold,
        ctx.settings.similarity.max_hints,
    )
    review = challenge.settings.review
    idea = await ctx.store.add_idea(
        {
            "community_id": ctx.community.id,
            "challenge_id": challenge.id,
            "number": await ctx.store.take_idea_number(ctx.community.id),
            "title": title,
            "description": description,
            "author_id": ctx.member.id,
            "anonymous": bool(args.get("anonymous", False)),
            "status": (IdeaStatus.PENDING if review else IdeaStatus.PUBLISHED).value,
            "submitted_at": ctx.now,
            "published_at": None if review else ctx.now,
            "updated_at": ctx.now,
        }
    )
    if source:
        await ctx.store.update_idea(idea.id, source_url=source)
        idea = replace(idea, source_url=source)
    first, unsent = await enter(ctx, challenge, idea, ctx.member.display_name)
    lines = []
    if similar:
        refs = ", ".join(f"#{n}" for n in similar)
        lines.append(_("Looks similar to {refs}: you can vote for those too.", refs=refs))
    if privacy.tallies_sealed(challenge) and not review:
        lines.append(_("Ideas in a sealed challenge stay as posted: a moderator can fix one."))
    else:
        lines.append(
            _(
                "Change it with `/idea edit #{number}` until it gets its first vote.",
                number=idea.number,
            )
        )
    title = _("💡 Idea #{number} is in!", number=idea.number)
    return Reply(
        Card(title, "\n".join([first, *lines])),
        unsent=Card(title, "\n".join([unsent, *lines])) if unsent else None,
    )


async def enter(ctx: Context, challenge: Challenge, idea: Idea, author: str) -> tuple[str, str]:
    """A new idea (as stored: pending review or published) enters its challenge: queued
    for the moderators, or posted for voting. Returns what the reply says, and what it
    says when the posts could not be sent yet ("" when they can't be late)."""
    await webhook_events.idea_event(
        ctx.store, challenge, idea, webhook_events.IDEA_SUBMITTED, str(idea.id), ctx.now
    )
    if idea.status is IdeaStatus.PENDING:
        with ctx.publicly():
            queued = (review_post(idea, challenge, author),)
        ctx.emit(IdeaSubmitted(challenge, queued, idea))
        return _("Moderators will review it first; it is posted once approved."), ""
    await webhook_events.idea_event(
        ctx.store, challenge, idea, webhook_events.IDEA_PUBLISHED, str(idea.id), ctx.now
    )
    ctx.awarded(await ctx.rewards.idea_published(ctx.store, idea, ctx.now))
    with ctx.publicly():
        posts = tuple(idea_posts(idea, challenge, author))
    ctx.emit(IdeaPublished(challenge, posts, idea))
    emoji = neutralize_mentions(challenge.settings.vote_emoji)
    return _("It is posted for voting with {emoji}.", emoji=emoji), _(
        "It is saved; it will be posted for voting with {emoji} as soon as {platform} answers.",
        emoji=emoji,
        platform=ctx.platform_name,
    )


@registry.command(
    "idea",
    "edit",
    description=N_("Edit your idea (until someone else votes for it)"),
    options=(IDEA, TITLE, DESCRIPTION),
    form=True,
    example='/idea edit #12 title:"Salted caramel crunch"',
)
async def edit(ctx: Context, args: Mapping[str, Any]) -> Reply:
    idea = await ctx.idea(args["idea"])
    own = idea.author_id == ctx.member.id
    if not (own or ctx.is_moderator):
        raise UserError(
            _("Only the author of #{number} or a moderator can edit it.", number=idea.number)
        )
    if not ctx.is_moderator:
        challenge = await ctx.challenge_of(idea)
        if privacy.tallies_sealed(challenge) and idea.published_at is not None:
            # Refusing only once it has votes would tell that it has some.
            raise UserError(
                _(
                    "In a sealed challenge an idea stays as it was posted, so that no vote is "
                    "for a text that changed. Ask a moderator if #{number} must be fixed.",
                    number=idea.number,
                )
            )
        if idea.first_foreign_vote_at is not None:
            raise UserError(
                _(
                    "#{number} already has votes, so it can't change any more. "
                    "Ask a moderator if something must be fixed.",
                    number=idea.number,
                )
            )
    if idea.status in (IdeaStatus.WITHDRAWN, IdeaStatus.MERGED, IdeaStatus.REJECTED):
        raise UserError(
            _(
                "#{number} is {status} and can't be edited.",
                number=idea.number,
                status=status_name(idea.status),
            )
        )
    if not ctx.is_moderator:
        await _refuse_when_closed(ctx, idea, _CLOSED_EDIT)
    limits = ctx.settings.limits
    changes: dict[str, Any] = {}
    if "title" in args:
        changes["title"] = clean_user_text(
            args["title"], max_len=limits.title_max, field="title", multiline=False
        )
    if "description" in args:
        changes["description"] = clean_user_text(
            args["description"],
            max_len=limits.description_max,
            field="description",
            multiline=True,
        )
    if not changes:
        raise UserError(
            _(
                'Say what changes: `/idea edit #{number} title:"…" description:"…"`.',
                number=idea.number,
            )
        )
    await ctx.store.update_idea(idea.id, updated_at=ctx.now, **changes)
    if not own:
        await ctx.audit("idea.edit", f"#{idea.number}", ", ".join(sorted(changes)))
    ctx.changed(idea.id)
    return Reply(
        Card(_("✏️ #{number} is updated", number=idea.number), _("Its posts show the new text."))
    )


#: Why an idea of a closed challenge can't change, for each command that would change it.
_CLOSED_EDIT = N_(
    "{name} is closed and its results are final, so #{number} can't be edited any more. "
    "A moderator can still set its status."
)
_CLOSED_WITHDRAW = N_(
    "{name} is closed and its results are final, so #{number} can't be withdrawn any more. "
    "A moderator can still set its status."
)


async def _refuse_when_closed(ctx: Context, idea: Idea, refusal: str) -> Challenge:
    """A closed challenge's results are final: its ideas stay as they were judged.
    `refusal` is the message that says so (`_CLOSED_EDIT`, `_CLOSED_WITHDRAW`)."""
    challenge = await ctx.challenge_of(idea)
    if challenge.phase is Phase.CLOSED:
        raise UserError(_(refusal, name=quoted(challenge.title), number=idea.number))
    return challenge


@registry.command(
    "idea",
    "withdraw",
    description=N_("Withdraw your idea"),
    options=(IDEA,),
    example="/idea withdraw #12",
)
async def withdraw(ctx: Context, args: Mapping[str, Any]) -> Reply:
    idea = await ctx.idea(args["idea"])
    if idea.author_id != ctx.member.id:
        raise UserError(_("Only the author can withdraw #{number}.", number=idea.number))
    if idea.status not in (IdeaStatus.PENDING, IdeaStatus.PUBLISHED):
        raise UserError(
            _(
                "#{number} is {status} and can't be withdrawn now.",
                number=idea.number,
                status=status_name(idea.status),
            )
        )
    challenge = await _refuse_when_closed(ctx, idea, _CLOSED_WITHDRAW)

    async def withdraw() -> None:
        await ctx.store.update_idea(idea.id, status=IdeaStatus.WITHDRAWN.value, updated_at=ctx.now)

    await ctx.recount(
        challenge, [idea.id], withdraw, action="withdraw", effects=("idea withdrawn", "")
    )
    await ctx.rewards.idea_unpublished(ctx.store, idea)
    withdrawn = replace(idea, status=IdeaStatus.WITHDRAWN)
    await webhook_events.status_changed(ctx.store, challenge, withdrawn, idea.status.value, ctx.now)
    ctx.changed(idea.id)
    return Reply(
        Card(
            _("↩️ #{number} is withdrawn", number=idea.number),
            _("It no longer takes part in the ranking."),
        )
    )


@registry.command(
    "idea",
    "show",
    description=N_("Show an idea, its status and its votes"),
    options=(IDEA,),
    example="/idea show #12",
)
async def show(ctx: Context, args: Mapping[str, Any]) -> Reply:
    idea = await ctx.idea(args["idea"])
    challenge = await ctx.challenge_of(idea)
    author = (await ctx.store.members_by_ids([idea.author_id]))[idea.author_id]
    merged_into = None
    if idea.merged_into_id is not None:
        head = await ctx.store.idea(idea.merged_into_id)
        merged_into = head.number if head else None
    votes = vote_text(idea.vote_count) if votes_visible(ctx, challenge) else _("sealed until close")
    card = idea_card(
        idea,
        challenge,
        author_label(ctx, idea, author.display_name),
        votes=votes if idea.status.public else None,
        merged_into=merged_into,
    )
    if idea.status is IdeaStatus.PUBLISHED:
        status = (_("Status"), status_name(IdeaStatus.PUBLISHED))
        card = Card(card.title, card.body, (*card.fields, status), card.footer)
    # The conversation: what the platform counts, never what was said (and never a rank).
    activity = (await ctx.store.conversations.activity([idea.id])).get(idea.id)
    if activity is not None:  # it has a thread
        card = Card(
            card.title,
            card.body,
            (*card.fields, (_("Discussion"), activity.describe())),
            card.footer,
        )
    return Reply(card)


#: `/ideas status:…`: every status, as typed (`in_progress` or "in progress")
STATUS_CHOICES = tuple(s.value.replace(" ", "_") for s in IdeaStatus if s is not IdeaStatus.PENDING)
STATUS_CHOICES = ("pending", *STATUS_CHOICES)


def status_of(choice: str) -> IdeaStatus:
    return IdeaStatus.PENDING if choice == "pending" else IdeaStatus(choice.replace("_", " "))


@registry.command(
    "ideas",
    description=N_("List ideas: a challenge's, yours (mine), by status, or by words in them"),
    options=(
        CHALLENGE,
        Option("sort", OptionKind.CHOICE, N_("top (most votes) or new"), choices=("top", "new")),
        Option("page", OptionKind.INT, N_("page number"), min_value=1, max_value=10_000),
        Option("mine", OptionKind.BOOL, N_("only your own ideas (or type /ideas mine)")),
        Option(
            "status",
            OptionKind.CHOICE,
            N_("only ideas with this status"),
            choices=STATUS_CHOICES,
        ),
        Option(
            "search", OptionKind.TEXT, N_("words in the title or description"), limit="title_max"
        ),
    ),
    aliases=(("cocreate", "ideas"),),
    example="/ideas search:caramel",
)
async def list_ideas(ctx: Context, args: Mapping[str, Any]) -> Reply:
    args = dict(args)
    ref = args.get("challenge")
    if ref is not None and ref.strip().casefold() == "mine":
        # `/ideas mine`: the word, unless a challenge is called that.
        named = [c for c in await ctx.store.challenges(ctx.community.id) if c.slug == "mine"]
        if not named:
            args.pop("challenge")
            args["mine"] = True
    search = _search_text(args.get("search"))
    if not (args.get("mine") or "status" in args or search):
        return await _challenge_ideas(ctx, args)
    return await _found_ideas(ctx, args, search)


def _search_text(raw: str | None) -> str | None:
    if raw is None:
        return None
    text = " ".join(
        clean_user_text(raw, max_len=SEARCH_MAX, field="search", multiline=False).split()
    )
    if len(text) < 2:
        raise UserError(_("Search for at least 2 characters, like `/ideas search:caramel`."))
    return text


async def _found_ideas(ctx: Context, args: Mapping[str, Any], search: str | None) -> Reply:
    """Ideas found across the community's challenges (or in the one named): yours, of a
    status, or with words in them. Newest first, and tallies only where they are not
    sealed."""
    everything = await ctx.store.challenges(ctx.community.id)
    visible = [c for c in everything if privacy.challenge_visible(c, moderator=ctx.is_moderator)]
    scope = [await ctx.challenge(args["challenge"])] if args.get("challenge") else visible
    by_id = {c.id: c for c in scope}
    status = status_of(args["status"]) if "status" in args else None
    query = IdeaQuery(
        challenge_ids=sorted(by_id),
        viewer_id=None if ctx.is_moderator else ctx.member.id,
        statuses=None if status is None else (status,),
        author_id=ctx.member.id if args.get("mine") else None,
        text=search,
    )
    size = ctx.settings.limits.page_size
    page = args.get("page", 1)
    total = await ctx.store.finding.count_found(query)
    found = await ctx.store.finding.find_ideas(query, limit=size, offset=(page - 1) * size)
    title = _described(
        args, status, search, quoted(scope[0].title) if args.get("challenge") else None
    )
    command = _command_line(args, status, search)
    if not found:
        body = (
            _(
                "Nothing found. `{command}` looks in every challenge here; `/ideas` lists "
                "a challenge's ideas.",
                command=command,
            )
            if page == 1
            else _(
                "There is no page {page}. `{command}` shows the first page.",
                page=page,
                command=command,
            )
        )
        return Reply(Card(title, body))
    authors = await ctx.store.members_by_ids({i.author_id for i in found})
    several = len(by_id) > 1
    lines = []
    for idea in found:
        challenge = by_id[idea.challenge_id]
        parts = [idea_heading(idea)]
        if votes_visible(ctx, challenge) and idea.status.public:
            parts.append(vote_text(idea.vote_count))
        if idea.status is not IdeaStatus.PUBLISHED:
            parts.append(status_text(idea))
        if not args.get("mine"):
            name = authors[idea.author_id].display_name if idea.author_id in authors else "?"
            parts.append(_("by {name}", name=display_inline(author_label(ctx, idea, name), 40)))
        elif idea.anonymous:
            parts.append(_("anonymous to others"))
        if several:
            parts.append(display_inline(challenge.title, 40))
        lines.append(" · ".join(parts[:1]) + (" — " + " · ".join(parts[1:]) if parts[1:] else ""))
    shown_to = (page - 1) * size + len(found)
    body = "\n".join(lines)
    more = more_line(total - shown_to, f"{command} page:{page + 1}")
    if more:
        body += f"\n{more}"
    pages = (total + size - 1) // size
    footer = _("Page {page} of {pages} · newest first", page=page, pages=pages)
    return Reply(Card(title, body, footer=footer))


#: The title of found ideas, by (yours, with a status, with words, in one challenge).
_FOUND_TITLES = {
    (False, False, False, False): N_("🔎 Ideas"),
    (False, False, False, True): N_("🔎 Ideas in {challenge}"),
    (False, False, True, False): N_("🔎 Ideas matching “{search}”"),
    (False, False, True, True): N_("🔎 Ideas matching “{search}” in {challenge}"),
    # TRANSLATORS: {status} is an idea status, like "planned" or "in progress"
    (False, True, False, False): N_("🔎 Ideas {status}"),
    (False, True, False, True): N_("🔎 Ideas {status} in {challenge}"),
    (False, True, True, False): N_("🔎 Ideas {status} matching “{search}”"),
    (False, True, True, True): N_("🔎 Ideas {status} matching “{search}” in {challenge}"),
    (True, False, False, False): N_("🔎 Your ideas"),
    (True, False, False, True): N_("🔎 Your ideas in {challenge}"),
    (True, False, True, False): N_("🔎 Your ideas matching “{search}”"),
    (True, False, True, True): N_("🔎 Your ideas matching “{search}” in {challenge}"),
    (True, True, False, False): N_("🔎 Your ideas {status}"),
    (True, True, False, True): N_("🔎 Your ideas {status} in {challenge}"),
    (True, True, True, False): N_("🔎 Your ideas {status} matching “{search}”"),
    (True, True, True, True): N_("🔎 Your ideas {status} matching “{search}” in {challenge}"),
}


def _described(
    args: Mapping[str, Any],
    status: IdeaStatus | None,
    search: str | None,
    challenge: str | None,
) -> str:
    key = (bool(args.get("mine")), status is not None, bool(search), challenge is not None)
    return _(
        _FOUND_TITLES[key],
        status=status_name(status) if status is not None else "",
        search=display_inline(search, 60) if search else "",
        challenge=challenge or "",
    )


def _command_line(args: Mapping[str, Any], status: IdeaStatus | None, search: str | None) -> str:
    """The command that lists the same (for "… and 12 more" and "no page 3")."""
    words = ["/ideas"]
    if args.get("challenge"):
        words.append(neutralize_mentions(display_inline(str(args["challenge"]), 60)))
    if args.get("mine"):
        words.append("mine")
    if status is not None:
        words.append(f"status:{status.value.replace(' ', '_')}")
    if search:
        shown = neutralize_mentions(display_inline(search, 60)).replace('"', "'")
        words.append(f'search:"{shown}"' if " " in shown else f"search:{shown}")
    return " ".join(words).replace("`", "'")


async def _challenge_ideas(ctx: Context, args: Mapping[str, Any]) -> Reply:
    challenge = await ctx.challenge(args.get("challenge"), lambda c: c.phase is not Phase.DRAFT)
    visible = votes_visible(ctx, challenge)
    sort = args.get("sort", "top" if visible else "new")
    note = ""
    if sort == "top" and not visible:
        sort, note = "new", _("Tallies are sealed until the close, so this is newest first.")
    size = ctx.settings.limits.page_size
    page = args.get("page", 1)
    public = [s for s in IdeaStatus if s.public]
    total = await ctx.store.count_ideas(challenge.id, public)
    ideas = await ctx.store.idea_page(
        challenge.id, public, newest_first=sort == "new", limit=size, offset=(page - 1) * size
    )
    if not ideas:
        body = (
            _("No ideas yet. Submit one with `/idea submit`.")
            if page == 1
            else _(
                "There is no page {page}. `{command}` shows the first page.",
                page=page,
                command="/ideas " + challenge.slug,
            )
        )
        return Reply(Card(_("Ideas for {name}", name=quoted(challenge.title)), body))
    lines = []
    for idea in ideas:
        tally = f" — {vote_text(idea.vote_count)}" if visible else ""
        status = "" if idea.status is IdeaStatus.PUBLISHED else f" · {status_text(idea)}"
        lines.append(f"{idea_heading(idea)}{tally}{status}")
    pages = (total + size - 1) // size
    more = more_line(
        total - (page - 1) * size - len(ideas),
        f"/ideas {challenge.slug} sort:{sort} page:{page + 1}",
    )
    if more:
        lines.append(more)
    footer = _(_SORTED_FOOTERS[sort], page=page, pages=pages)
    body = "\n".join(lines) + (f"\n\n{note}" if note else "")
    return Reply(Card(_("Ideas for {name}", name=quoted(challenge.title)), body, footer=footer))


#: The footer of a challenge's ideas, by `sort:`.
_SORTED_FOOTERS = {
    "top": N_("Page {page} of {pages} · sorted by top"),
    "new": N_("Page {page} of {pages} · sorted by new"),
}


@registry.command(
    "roadmap",
    description=N_("What became of the ideas: planned, in progress and implemented"),
    aliases=(("cocreate", "roadmap"),),
    example="/roadmap",
)
async def roadmap(ctx: Context, args: Mapping[str, Any]) -> Reply:
    """Across the community's challenges, the ideas the brand took up, grouped by status.
    No tallies (a sealed challenge's would leak), and anonymous authors stay so."""
    return Reply(await roadmap_card(ctx))


#: ideas shown per status on the roadmap; the rest are counted, with the command for them
ROADMAP_PER_STATUS = 5


async def roadmap_card(ctx: Context) -> Card:
    challenges = {
        c.id: c
        for c in await ctx.store.challenges(ctx.community.id)
        if privacy.challenge_visible(c, moderator=ctx.is_moderator)
    }
    viewer = None if ctx.is_moderator else ctx.member.id
    base = IdeaQuery(challenge_ids=sorted(challenges), viewer_id=viewer, statuses=ROADMAP_STATUSES)
    counts = await ctx.store.finding.count_by_status(base)
    fields: list[tuple[str, str]] = []
    found: dict[IdeaStatus, list[Idea]] = {}
    for status in ROADMAP_STATUSES:
        if counts.get(status):
            found[status] = await ctx.store.finding.find_ideas(
                replace(base, statuses=(status,)), limit=ROADMAP_PER_STATUS
            )
    authors = await ctx.store.members_by_ids(
        {i.author_id for ideas in found.values() for i in ideas}
    )
    for status, ideas in found.items():
        lines = []
        for idea in ideas:
            name = authors[idea.author_id].display_name if idea.author_id in authors else "?"
            note = f" — {display_inline(idea.status_note, 120)}" if idea.status_note else ""
            line = _(
                "{idea} · by {name} · {challenge}",
                idea=idea_heading(idea),
                name=display_inline(author_label(ctx, idea, name), 40),
                challenge=display_inline(challenges[idea.challenge_id].title, 40),
            )
            lines.append(f"{line}{note}")
        more = more_line(
            counts[status] - len(ideas), f"/ideas status:{status.value.replace(' ', '_')}"
        )
        if more:
            lines.append(more)
        fields.append((_(_ROADMAP_HEADINGS[status]), "\n".join(lines)))
    if not fields:
        return Card(
            _("🗺️ Roadmap"),
            _(
                "No idea is planned, in progress or implemented yet. Moderators set a status "
                "with `/mod status #n planned`."
            ),
        )
    return Card(
        _("🗺️ Roadmap"),
        _("What became of the community's ideas, across challenges, newest first."),
        tuple(fields),
        footer=_("`/idea show #n` for one idea · `/ideas status:planned` for the whole list"),
    )


_ROADMAP_HEADINGS = {
    IdeaStatus.PLANNED: N_("📌 Planned"),
    IdeaStatus.IN_PROGRESS: N_("🛠️ In progress"),
    IdeaStatus.IMPLEMENTED: N_("🚀 Implemented"),
}
