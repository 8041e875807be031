"""Members' data: `/mydata` (everything kept about you, as a file by direct message),
`/forgetme` and `/mod forget` (forget a member, after a confirmation)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot import member_data
from bot.commands.context import Context
from bot.commands.moderation import MEMBER
from bot.commands.spec import Option, OptionKind, registry
from bot.errors import UserError
from bot.events import DirectMessage
from bot.i18n import N_, _, n_
from bot.member_data import CONFIRM_WINDOW, FORMER_MEMBER, Subject
from bot.messages import Attachment, Card, Reply
from bot.model import Member
from bot.render import platform_name
from bot.text import display_inline

CONFIRM = Option("confirm", OptionKind.TEXT, N_("the code the first reply gave you"))
MINUTES = int(CONFIRM_WINDOW.total_seconds() // 60)


@registry.command(
    "mydata",
    description=N_("Everything Cocreate keeps about you, as a JSON file by direct message"),
    example="/mydata",
    aliases=(("cocreate", "mydata"),),
)
async def mydata(ctx: Context, args: Mapping[str, Any]) -> Reply:
    subject = Subject(
        ctx.store,
        ctx.store.member_data,
        ctx.community,
        ctx.member,
        ctx.rewards.weights,
        ctx.now,
    )
    document = await member_data.export(subject)
    name = f"cocreate-mydata-{ctx.here.platform}-{ctx.now:%Y%m%d-%H%M%S}.json"
    file = Attachment(name, member_data.export_file(document), "application/json")
    summary = ", ".join(
        (
            n_("{n} idea", "{n} ideas", _count(document, "ideas")),
            n_("{n} vote", "{n} votes", _count(document, "votes")),
            n_("{n} badge", "{n} badges", _count(document, "badges")),
        )
    )
    where = display_inline(ctx.community.name, 60)
    ctx.emit(
        DirectMessage(
            ctx.here.ref,
            ctx.actor.external_id,
            Card(
                _("📦 Your data in Cocreate"),
                # TRANSLATORS: {community} is the community's name; {summary} counts the
                # ideas, votes and badges, such as "2 ideas, 5 votes, 1 badge".
                _(
                    "Everything Cocreate keeps about you in {community}: {summary}, your "
                    "points, and what each of your reactions did.",
                    community=where,
                    summary=summary,
                ),
                footer=_("`/forgetme` erases it, keeping your ideas and votes anonymously."),
            ),
            (file,),
        )
    )
    return Reply(
        Card(
            _("📦 Your data is on its way"),
            _(
                "A JSON file with everything Cocreate keeps about you here ({summary}).",
                summary=summary,
            ),
        )
    )


def _count(document: Mapping[str, object], key: str) -> int:
    rows = document.get(key)
    return len(rows) if isinstance(rows, list) else 0


async def _forget(ctx: Context, member: Member, code: str | None, *, own: bool) -> Reply:
    """The first step shows what happens and a code; the second, with the code, does it."""
    if member_data.is_forgotten(member):
        raise UserError(_("That member was already forgotten: there is nothing left to erase."))
    command = "/forgetme" if own else f"/mod forget {member.external_id}"
    key = ctx.community.audit_key
    if code is None or not code.strip():
        fresh = member_data.confirmation_code(key, member.id, ctx.now)
        former = _(FORMER_MEMBER)
        if own:
            title = _("⚠️ Forget you?")
            # TRANSLATORS: {platform} is Discord or Slack; {former} is how a forgotten
            # member is shown ("a former member").
            body = _(
                "Cocreate will erase your name, your {platform} id and your account dates "
                "here, and your name wherever it was kept. Your ideas stay, under "
                '"{former}", and your votes keep counting anonymously, so published results '
                "stay true. This cannot be undone.",
                platform=platform_name(ctx.here.platform),
                former=former,
            )
            # TRANSLATORS: the commands stay as they are.
            footer = n_(
                "To go ahead, run `{command} confirm:{code}` within {n} minute. "
                "`/mydata` first gives you a copy of your data.",
                "To go ahead, run `{command} confirm:{code}` within {n} minutes. "
                "`/mydata` first gives you a copy of your data.",
                MINUTES,
                command=command,
                code=fresh,
            )
        else:
            title = _("⚠️ Forget {name}?", name=display_inline(member.display_name, 60))
            # TRANSLATORS: {platform} is Discord or Slack; {former} is how a forgotten
            # member is shown ("a former member").
            body = _(
                "Cocreate will erase their name, their {platform} id and their account dates "
                "here, and their name wherever it was kept. Their ideas stay, under "
                '"{former}", and their votes keep counting anonymously, so published results '
                "stay true. This cannot be undone.",
                platform=platform_name(ctx.here.platform),
                former=former,
            )
            # TRANSLATORS: the command stays as it is.
            footer = n_(
                "To go ahead, run `{command} confirm:{code}` within {n} minute.",
                "To go ahead, run `{command} confirm:{code}` within {n} minutes.",
                MINUTES,
                command=command,
                code=fresh,
            )
        return Reply(Card(title, body, footer=footer))
    if not member_data.code_matches(key, member.id, ctx.now, code):
        raise UserError(
            _(
                "That confirmation code is not right, or it expired. Run `{command}` again "
                "for a new one.",
                command=command,
            )
        )
    authored = await ctx.store.member_data.member_ideas(member.id)
    numbers = [int(r["number"]) for r in authored]
    # The person on every platform: their linked accounts too (bot/accounts.py).
    accounts = await ctx.store.accounts.accounts_of(member.id)
    await ctx.store.accounts.unlink([a.id for a in accounts])
    for account in accounts:
        await ctx.store.member_data.forget_member(
            ctx.community.id, account.id, member_data.new_placeholder(), ctx.now
        )
    ideas = [await ctx.store.idea_by_number(ctx.community.id, n) for n in numbers]
    ctx.changed(*(i.id for i in ideas if i is not None))
    await ctx.audit(
        "member.forget", FORMER_MEMBER, "at their own request" if own else "by a moderator"
    )
    if own:
        return Reply(
            Card(
                _("🫥 Cocreate has forgotten you here"),
                n_(
                    'Your name, id and account dates are erased. {n} idea stays under "{former}", '
                    "and your votes still count, anonymously. If you use Cocreate again, you "
                    "start afresh.",
                    'Your name, id and account dates are erased. {n} ideas stay under "{former}", '
                    "and your votes still count, anonymously. If you use Cocreate again, you "
                    "start afresh.",
                    len(numbers),
                    former=_(FORMER_MEMBER),
                ),
            )
        )
    return Reply(
        Card(
            _("🫥 The member is forgotten"),
            n_(
                'Their name, id and account dates are erased; {n} idea stays under "{former}" '
                "and their votes still count. The moderator log records it without their name.",
                'Their name, id and account dates are erased; {n} ideas stay under "{former}" '
                "and their votes still count. The moderator log records it without their name.",
                len(numbers),
                former=_(FORMER_MEMBER),
            ),
        )
    )


@registry.command(
    "forgetme",
    description=N_("Erase what Cocreate keeps about you (asks for a confirmation first)"),
    example="/forgetme confirm:3F9A2C",
    options=(CONFIRM,),
    aliases=(("cocreate", "forgetme"),),
)
async def forgetme(ctx: Context, args: Mapping[str, Any]) -> Reply:
    return await _forget(ctx, ctx.member, args.get("confirm"), own=True)


@registry.command(
    "mod",
    "forget",
    description=N_("Forget a member on their request (asks for a confirmation first)"),
    example="/mod forget @Ana",
    options=(MEMBER, CONFIRM),
    moderator=True,
)
async def forget(ctx: Context, args: Mapping[str, Any]) -> Reply:
    member = await ctx.target_member(args["member"])
    return await _forget(ctx, member, args.get("confirm"), own=False)
