"""`/mod webhook …`: the moderators' HTTPS endpoints, their test events and delivery log.

The signing secret is derived here from a new salt and the operator's key, and shown once
in the (ephemeral) reply: the database keeps only the salt, and no list, log or audit
entry shows the secret (bot/webhooks/signing.py)."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Mapping
from typing import Any

from bot.commands.context import Context
from bot.commands.spec import OUTSIDE, Option, OptionKind, registry
from bot.errors import UserError
from bot.i18n import N_, _, n_
from bot.messages import Card, Reply
from bot.render import when
from bot.settings import Settings
from bot.text import display_inline
from bot.webhooks import addresses
from bot.webhooks.delivery import disabled_reason, error_text
from bot.webhooks.events import EVENT_TYPES, PING, body, member_data
from bot.webhooks.ports import ACTIVE, DELIVERED, PENDING, Delivery, Endpoint, NewDelivery
from bot.webhooks.signing import SECRET_KEY_ENV, derived_secret, new_salt

#: The largest endpoint number a platform's integer option carries (Discord's: 2^53 - 1).
ENDPOINT_MAX = 2**53 - 1
ENDPOINT = Option(
    "endpoint",
    OptionKind.INT,
    N_("the webhook's number, from `/mod webhook list`"),
    required=True,
    positional=True,
    min_value=1,
    max_value=ENDPOINT_MAX,
)
#: How long the lookup of a new endpoint's host may take.
RESOLVE_TIMEOUT_S = 5.0
LOG_LINES = 15


def _events(text: str | None) -> tuple[str, ...]:
    """The event types named (comma or space separated), or all of them."""
    words = [w for w in re.split(r"[,\s]+", (text or "").strip()) if w]
    if not words or any(w.casefold() in ("all", "*") for w in words):
        return EVENT_TYPES
    unknown = [w for w in words if w.casefold() not in EVENT_TYPES]
    if unknown:
        # TRANSLATORS: the event names and `all` stay as they are.
        raise UserError(
            _(
                "There is no event `{event}`. Events: {events} (or `all`, the default).",
                event=display_inline(unknown[0], 40),
                events=", ".join(f"`{e}`" for e in EVENT_TYPES),
            )
        )
    return tuple(e for e in EVENT_TYPES if e in {w.casefold() for w in words})


def _describe(e: Endpoint, tz: str) -> str:
    events = _("all events") if set(e.events) >= set(EVENT_TYPES) else ", ".join(e.events)
    line = f"**{e.id}** · {display_inline(e.url, 120)} · {events}"
    if e.state != ACTIVE:
        why = display_inline(disabled_reason(e), 160)
        if e.disabled_at:
            disabled = _(
                "⛔ disabled since {when}: {reason}", when=when(e.disabled_at, tz), reason=why
            )
        else:
            disabled = _("⛔ disabled: {reason}", reason=why)
        line += "\n    " + disabled
    elif e.failures:
        line += "\n    " + n_(
            "⚠️ {n} failed delivery in a row", "⚠️ {n} failed deliveries in a row", e.failures
        )
    return line


async def _endpoint(ctx: Context, number: int) -> Endpoint:
    found = await ctx.store.webhooks.endpoint(ctx.community.id, number)
    if found is None:
        raise UserError(
            _("There is no webhook {number} here. `/mod webhook list` lists them.", number=number)
        )
    return found


def _check_enabled(ctx: Context) -> None:
    if not ctx.settings.webhooks.enabled:
        # TRANSLATORS: `webhooks.enabled` is a setting's name: it stays as it is.
        raise UserError(
            _("Webhooks are turned off on this Cocreate (`webhooks.enabled`); ask its operator.")
        )


async def _look_up(args: Mapping[str, Any], settings: Settings) -> addresses.Looked | None:
    """The new endpoint's host, looked up before the command's transaction (not when the
    command will be refused for the settings: no one waits on DNS for a refusal)."""
    if not settings.webhooks.enabled or settings.webhooks.secret_key is None:
        return None
    allow_private = settings.webhooks.allow_private
    return await addresses.look_up(
        args["url"], allow_private=allow_private, timeout_s=RESOLVE_TIMEOUT_S
    )


@registry.command(
    "mod",
    "webhook",
    "add",
    description=N_("Send this community's events to an HTTPS endpoint"),
    options=(
        Option(
            "url",
            OptionKind.TEXT,
            N_("the endpoint's https:// URL"),
            required=True,
            positional=True,
        ),
        Option(
            "events",
            OptionKind.TEXT,
            N_("event types, comma-separated (default: all)"),
            positional=True,
            greedy=True,
        ),
    ),
    moderator=True,
    example="/mod webhook add https://hooks.example.com/cocreate idea.published,results.final",
    outside=_look_up,
)
async def add(ctx: Context, args: Mapping[str, Any]) -> Reply:
    _check_enabled(ctx)
    events = _events(args.get("events"))
    settings = ctx.settings.webhooks
    key = settings.secret_key
    if key is None:
        # TRANSLATORS: {variable} is an environment variable's name: it stays as it is.
        raise UserError(
            _(
                "Webhooks need a signing key, which this Cocreate's operator has not set "
                "(the environment variable `{variable}`); ask them.",
                variable=SECRET_KEY_ENV,
            )
        )
    looked: addresses.Looked | None = args.get(OUTSIDE)
    try:
        url = await asyncio.wait_for(
            addresses.check(
                args["url"],
                allow_private=settings.allow_private,
                resolver=looked.resolver if looked else addresses.resolve,
            ),
            RESOLVE_TIMEOUT_S,
        )
    except TimeoutError:
        raise UserError(_("The URL's host did not resolve in time; try again.")) from None
    existing = await ctx.store.webhooks.endpoints(ctx.community.id)
    same = [e for e in existing if e.url == url]
    if same:
        raise UserError(
            _(
                "That URL is webhook {number} already. `/mod webhook list` shows it.",
                number=same[0].id,
            )
        )
    if len(existing) >= settings.max_endpoints:
        raise UserError(
            n_(
                "This community has {n} webhook, the most allowed. "
                "Remove one with `/mod webhook remove N` first.",
                "This community has {n} webhooks, the most allowed. "
                "Remove one with `/mod webhook remove N` first.",
                len(existing),
            )
        )
    salt = new_salt()
    number = await ctx.store.webhooks.add_endpoint(
        ctx.community.id, url, events, salt, ctx.member.id, ctx.now
    )
    secret = derived_secret(key.get_secret_value(), salt)
    await ctx.audit("webhook.add", f"webhook {number}", url)
    if events == EVENT_TYPES:
        sends = _(
            "Cocreate sends all events to {url}, signed with this secret:",
            url=display_inline(url, 120),
        )
    else:
        # TRANSLATORS: {events} lists event names, such as "idea.published, results.final".
        sends = _(
            "Cocreate sends {events} to {url}, signed with this secret:",
            events=", ".join(events),
            url=display_inline(url, 120),
        )
    return Reply(
        Card(
            _("🪝 Webhook {number} added", number=number),
            sends
            + f"\n`{secret}`\n"
            # TRANSLATORS: `Cocreate-Signature` is an HTTP header's name: it stays as it is.
            + _(
                "Keep it now: it is shown only this once. Check the `Cocreate-Signature` "
                "header with it (see the README). Try it with `/mod webhook test {number}`.",
                number=number,
            ),
        )
    )


@registry.command(
    "mod",
    "webhook",
    "list",
    description=N_("This community's webhooks"),
    moderator=True,
    example="/mod webhook list",
)
async def list_(ctx: Context, args: Mapping[str, Any]) -> Reply:
    found = await ctx.store.webhooks.endpoints(ctx.community.id)
    tz = ctx.settings.core.default_timezone
    body_text = "\n".join(_describe(e, tz) for e in found) or (
        _("No webhooks yet. Add one with `/mod webhook add https://…`.")
    )
    return Reply(
        Card(
            _("🪝 Webhooks"),
            body_text,
            # TRANSLATORS: the commands stay as they are; N is a webhook's number.
            footer=_("/mod webhook test N · /mod webhook log [N] · /mod webhook remove N"),
        )
    )


@registry.command(
    "mod",
    "webhook",
    "remove",
    description=N_("Stop sending events to a webhook, and forget it"),
    options=(ENDPOINT,),
    moderator=True,
    example="/mod webhook remove 2",
)
async def remove(ctx: Context, args: Mapping[str, Any]) -> Reply:
    endpoint = await _endpoint(ctx, args["endpoint"])
    await ctx.store.webhooks.remove_endpoint(ctx.community.id, endpoint.id)
    await ctx.audit("webhook.remove", f"webhook {endpoint.id}", endpoint.url)
    return Reply(
        Card(
            _("🗑️ Webhook {number} is removed", number=endpoint.id),
            _("Nothing more is sent to it, and its secret and delivery log are deleted."),
        )
    )


@registry.command(
    "mod",
    "webhook",
    "enable",
    description=N_("Send to a disabled webhook again"),
    options=(ENDPOINT,),
    moderator=True,
    example="/mod webhook enable 2",
)
async def enable(ctx: Context, args: Mapping[str, Any]) -> Reply:
    _check_enabled(ctx)
    endpoint = await _endpoint(ctx, args["endpoint"])
    if endpoint.state == ACTIVE:
        raise UserError(_("Webhook {number} is not disabled.", number=endpoint.id))
    await ctx.store.webhooks.enable_endpoint(endpoint.id, ctx.now)
    await ctx.audit("webhook.enable", f"webhook {endpoint.id}", endpoint.url)
    return Reply(
        Card(
            _("✅ Webhook {number} is enabled again", number=endpoint.id),
            _("The events waiting for it are sent now."),
        )
    )


@registry.command(
    "mod",
    "webhook",
    "test",
    description=N_("Send a test event (`ping`) to a webhook"),
    options=(ENDPOINT,),
    moderator=True,
    example="/mod webhook test 2",
)
async def test(ctx: Context, args: Mapping[str, Any]) -> Reply:
    _check_enabled(ctx)
    endpoint = await _endpoint(ctx, args["endpoint"])
    if endpoint.state != ACTIVE:
        raise UserError(
            _(
                "Webhook {number} is disabled; `/mod webhook enable {number}` first.",
                number=endpoint.id,
            )
        )
    key = f"{PING}:{uuid.uuid4().hex}"
    data = {"webhook": endpoint.id, "requested_by": member_data(ctx.member)}
    text = body(ctx.community, PING, key, ctx.now, data)
    await ctx.store.webhooks.add_deliveries([NewDelivery(endpoint.id, key, PING, text)], ctx.now)
    return Reply(
        Card(
            _("📨 A test event is on its way to webhook {number}", number=endpoint.id),
            _("`/mod webhook log {number}` shows how it was answered.", number=endpoint.id),
        )
    )


def _log_line(d: Delivery, tz: str) -> str:
    if d.state == DELIVERED:
        outcome = f"✅ {d.last_status}"
    elif d.state == PENDING and not d.attempts:
        outcome = _("⏳ waiting")
    elif d.state == PENDING:
        # TRANSLATORS: {error} is the endpoint's answer, or why it could not be reached.
        outcome = _(
            "🔁 {error}; next try {when}",
            error=display_inline(error_text(d.last_error or ""), 80),
            when=when(d.next_attempt_at, tz),
        )
    else:
        # TRANSLATORS: {error} is the endpoint's answer, or why it could not be reached.
        outcome = _(
            "❌ given up: {error}", error=display_inline(error_text(d.last_error or ""), 80)
        )
    tries = " · " + n_("{n} try", "{n} tries", d.attempts) if d.attempts > 1 else ""
    line = _(
        "{when} · webhook {number} · `{event}` · {outcome}",
        when=when(d.created_at, tz),
        number=d.endpoint_id,
        event=d.event_type,
        outcome=outcome,
    )
    return line + tries


@registry.command(
    "mod",
    "webhook",
    "log",
    description=N_("Recent webhook deliveries and how they were answered"),
    options=(
        Option(
            "endpoint",
            OptionKind.INT,
            N_("only this webhook"),
            positional=True,
            min_value=1,
            max_value=ENDPOINT_MAX,
        ),
    ),
    moderator=True,
    example="/mod webhook log 2",
)
async def log(ctx: Context, args: Mapping[str, Any]) -> Reply:
    number = args.get("endpoint")
    if number is not None:
        await _endpoint(ctx, number)
    found = await ctx.store.webhooks.recent_deliveries(ctx.community.id, LOG_LINES, number)
    tz = ctx.settings.core.default_timezone
    return Reply(
        Card(
            _("📬 Webhook deliveries"),
            "\n".join(_log_line(d, tz) for d in found) or _("Nothing was sent yet."),
            footer=_("Newest first. A failed delivery is tried again with backoff."),
        )
    )
