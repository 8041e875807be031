"""Moderator commands for the REST API's tokens: create (shown once), list, revoke."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.commands.context import Context
from bot.commands.moderation import POST_NUMBER_MAX
from bot.commands.spec import Option, OptionKind, registry
from bot.errors import UserError
from bot.i18n import N_, _
from bot.messages import Card, Reply
from bot.render import when
from bot.text import clean_user_text, display_inline
from bot.tokens import NAME_MAX, SHOWN_CHARS, ApiToken, new_token, token_digest

#: The name of a token made without one (kept as its name, in the language of the moment).
DEFAULT_NAME = N_("API token")


def _line(token: ApiToken, tz: str) -> str:
    if token.revoked_at:
        state = _("revoked {when}", when=when(token.revoked_at, tz))
    elif token.last_used_at:
        state = _("last used {when}", when=when(token.last_used_at, tz))
    else:
        state = _("never used")
    return _(
        "{number}. {name} · `{shown}…` · made {when} · {state}",
        number=token.id,
        name=display_inline(token.name, NAME_MAX),
        shown=token.shown,
        when=when(token.created_at, tz),
        state=state,
    )


@registry.command(
    "mod",
    "token",
    "create",
    description=N_("Create a token for the REST API (brand tools); it is shown once"),
    options=(
        Option(
            "name",
            OptionKind.TEXT,
            N_("what it is for, like Brand dashboard"),
            positional=True,
            greedy=True,
        ),
    ),
    moderator=True,
    example="/mod token create crm-sync",
)
async def create(ctx: Context, args: Mapping[str, Any]) -> Reply:
    raw = args.get("name") or _(DEFAULT_NAME)
    name = clean_user_text(raw, max_len=NAME_MAX, field="name", multiline=False)
    token = new_token()
    made = await ctx.store.add_api_token(
        ctx.community.id, name, token_digest(token), token[:SHOWN_CHARS], ctx.member.id, ctx.now
    )
    await ctx.audit("token.create", f"token {made.id}", name)
    return Reply(
        Card(
            _(
                "🔑 API token {number} · {name}",
                number=made.id,
                name=display_inline(name, NAME_MAX),
            ),
            f"`{token}`\n\n"
            # TRANSLATORS: `Authorization: Bearer <token>` and /api/v1/ stay as they are.
            + _(
                "Copy it now: it is shown only this once, and Cocreate keeps only "
                "its hash. Send it as `Authorization: Bearer <token>` to /api/v1/ of this "
                "bot's HTTP server. Revoke it with `/mod token revoke {number}`.",
                number=made.id,
            ),
        )
    )


@registry.command(
    "mod",
    "token",
    "list",
    description=N_("The REST API's tokens of this community"),
    moderator=True,
    example="/mod token list",
)
async def list_tokens(ctx: Context, args: Mapping[str, Any]) -> Reply:
    tokens = await ctx.store.api_tokens(ctx.community.id)
    tz = ctx.settings.core.default_timezone
    body = "\n".join(_line(t, tz) for t in tokens) or (
        _("No tokens yet. `/mod token create [name]` makes one.")
    )
    # TRANSLATORS: the command stays as it is; <id> is what the moderator types.
    return Reply(Card(_("🔑 API tokens"), body, footer=_("/mod token revoke <id>")))


@registry.command(
    "mod",
    "token",
    "revoke",
    description=N_("Revoke a REST API token: it stops working at once"),
    options=(
        Option(
            "id",
            OptionKind.INT,
            N_("the token's number in /mod token list"),
            required=True,
            positional=True,
            min_value=1,
            max_value=POST_NUMBER_MAX,
        ),
    ),
    moderator=True,
    example="/mod token revoke 3",
)
async def revoke(ctx: Context, args: Mapping[str, Any]) -> Reply:
    token_id = int(args["id"])
    before = {t.id: t for t in await ctx.store.api_tokens(ctx.community.id)}.get(token_id)
    if before is None:
        raise UserError(
            _(
                "There is no API token {number} here. `/mod token list` lists them.",
                number=token_id,
            )
        )
    if before.revoked_at is not None:
        tz = ctx.settings.core.default_timezone
        raise UserError(
            _(
                "API token {number} was already revoked {when}.",
                number=token_id,
                when=when(before.revoked_at, tz),
            )
        )
    await ctx.store.revoke_api_token(ctx.community.id, token_id, ctx.now)
    await ctx.audit("token.revoke", f"token {token_id}", before.name)
    return Reply(
        Card(
            _("🔑 API token {number} is revoked", number=token_id),
            _(
                "{name} (`{shown}…`) no longer opens the API.",
                name=display_inline(before.name, NAME_MAX),
                shown=before.shown,
            ),
        )
    )
