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
from bot.member_data import CONFIRM_WINDOW, FORMER_MEMBER, Subject
from bot.messages import Attachment, Card, Reply
from bot.model import Member
from bot.render import plural
from bot.text import display_inline

CONFIRM = Option("confirm", OptionKind.TEXT, "the code the first reply gave you")
MINUTES = int(CONFIRM_WINDOW.total_seconds() // 60)


@registry.command(
    "mydata",
    description="Everything Cocreate keeps about you, as a JSON file by direct message",
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
    summary = (
        f"{_count(document, 'ideas', 'idea')}, {_count(document, 'votes', 'vote')}, "
        f"{_count(document, 'badges', 'badge')}"
    )
    where = display_inline(ctx.community.name, 60)
    ctx.emit(
        DirectMessage(
            ctx.here.ref,
            ctx.actor.external_id,
            Card(
                "📦 Your data in Cocreate",
                f"Everything Cocreate keeps about you in {where}: {summary}, your points, "
                "and what each of your reactions did.",
                footer="`/forgetme` erases it, keeping your ideas and votes anonymously.",
            ),
            (file,),
        )
    )
    return Reply(
        Card(
            "📦 Your data is on its way",
            f"A JSON file with everything Cocreate keeps about you here ({summary}).",
        )
    )


def _count(document: Mapping[str, object], key: str, word: str) -> str:
    rows = document.get(key)
    return plural(len(rows) if isinstance(rows, list) else 0, word)


async def _forget(ctx: Context, member: Member, code: str | None, *, own: bool) -> Reply:
    """The first step shows what happens and a code; the second, with the code, does it."""
    if member_data.is_forgotten(member):
        raise UserError("That member was already forgotten: there is nothing left to erase.")
    command = "/forgetme" if own else f"/mod forget {member.external_id}"
    key = ctx.community.audit_key
    if code is None or not code.strip():
        fresh = member_data.confirmation_code(key, member.id, ctx.now)
        who = "you" if own else display_inline(member.display_name, 60)
        their = "your" if own else "their"
        return Reply(
            Card(
                f"⚠️ Forget {who}?",
                f"Cocreate will erase {their} name, {their} {ctx.platform_name} id and "
                f"{their} account dates here, and {their} name wherever it was kept. "
                f'{"Your" if own else "Their"} ideas stay, under "{FORMER_MEMBER}", and '
                f"{their} votes keep counting anonymously, so published results stay "
                f"true. This cannot be undone.",
                footer=f"To go ahead, run `{command} confirm:{fresh}` within {MINUTES} "
                "minutes." + (" `/mydata` first gives you a copy of your data." if own else ""),
            )
        )
    if not member_data.code_matches(key, member.id, ctx.now, code):
        raise UserError(
            f"That confirmation code is not right, or it expired. Run `{command}` again "
            "for a new one."
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
                "🫥 Cocreate has forgotten you here",
                f"Your name, id and account dates are erased. {plural(len(numbers), 'idea')} "
                f'stay under "{FORMER_MEMBER}", and your votes still count, anonymously. '
                "If you use Cocreate again, you start afresh.",
            )
        )
    return Reply(
        Card(
            "🫥 The member is forgotten",
            f"Their name, id and account dates are erased; {plural(len(numbers), 'idea')} "
            f'stay under "{FORMER_MEMBER}" and their votes still count. The moderator log '
            "records it without their name.",
        )
    )


@registry.command(
    "forgetme",
    description="Erase what Cocreate keeps about you (asks for a confirmation first)",
    example="/forgetme confirm:3F9A2C",
    options=(CONFIRM,),
    aliases=(("cocreate", "forgetme"),),
)
async def forgetme(ctx: Context, args: Mapping[str, Any]) -> Reply:
    return await _forget(ctx, ctx.member, args.get("confirm"), own=True)


@registry.command(
    "mod",
    "forget",
    description="Forget a member on their request (asks for a confirmation first)",
    example="/mod forget @Ana",
    options=(MEMBER, CONFIRM),
    moderator=True,
)
async def forget(ctx: Context, args: Mapping[str, Any]) -> Reply:
    member = await ctx.target_member(args["member"])
    return await _forget(ctx, member, args.get("confirm"), own=False)
