"""Bolt listeners: every request is acked first, then handled in the background.

Slash commands, reactions, App Home and review buttons are acked at once, with nothing
done before the ack; the core's work follows in a tracked task and its answer goes back
through the response_url, views.publish or chat.update. A form submission is the one
exception Slack imposes: errors can be shown inline only in the ack itself, so the core
gets `Tuning.form_budget_s` (2 s) to answer; if it needs longer, the modal says it is
working and is updated when the answer comes.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks, translate
from adapters.slack.api import SlackApi
from adapters.slack.background import Background
from adapters.slack.config import Tuning
from adapters.slack.directory import Directory
from adapters.slack.publisher import upload
from adapters.slack.translate import SlashCommand, community, team_of
from adapters.slack.workspaces import UnknownWorkspace, Workspaces
from bot.commands import registry
from bot.commands.args import convert
from bot.commands.spec import CommandSpec, Option, OptionKind
from bot.core import Cocreate, parse_invocation
from bot.errors import UserError
from bot.grammar import GrammarError
from bot.messages import Actor, Attachment, Card, Invocation, OptionValue, Reply
from bot.settings import Settings
from bot.text import TextError, clean_user_text

log = logging.getLogger("cocreate.slack")

Ack = Callable[..., Awaitable[Any]]
#: The home tab: the member's badges and points, their rank, and the challenges.
HOME_COMMANDS: tuple[tuple[tuple[str, ...], dict[str, OptionValue]], ...] = (
    (("badges",), {}),
    (("leaderboard",), {"period": "all"}),
    (("challenge", "list"), {}),
)
ERROR_TEXT = 300


class SlackHandlers:
    def __init__(
        self,
        core: Cocreate,
        settings: Settings,
        api: SlackApi,
        workspaces: Workspaces,
        directory: Directory,
        work: Background,
        tuning: Tuning,
    ) -> None:
        self.core = core
        self.settings = settings
        self.api = api
        self.workspaces = workspaces
        self.directory = directory
        self.work = work
        self.tuning = tuning

    def register(self, bolt: AsyncApp) -> None:
        bolt.middleware(self.note_retries)
        for group in translate.GROUPS:
            bolt.command(f"/{group}")(self.on_command)
        bolt.event("reaction_added")(self.on_reaction)
        bolt.event("reaction_removed")(self.on_reaction)
        bolt.event("app_home_opened")(self.on_home)
        bolt.action(blocks.APPROVE_ACTION)(self.on_review)
        bolt.action(blocks.REJECT_ACTION)(self.on_review)
        bolt.view(blocks.FORM_CALLBACK)(self.on_form)

    # -- common ----------------------------------------------------------------------------

    async def note_retries(
        self, request: AsyncBoltRequest, next_: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        """Slack retries an event it thinks failed; the core counts each event_id once."""
        retry = request.headers.get("x-slack-retry-num")
        if retry and retry[0] not in ("", "0"):
            reason = request.headers.get("x-slack-retry-reason", ["?"])[0]
            log.info(
                "Slack retry %s (%s) of event %s", retry[0], reason, request.body.get("event_id")
            )
        return await next_()

    def ours(self, team_id: str, context: AsyncBoltContext) -> bool:
        """Whether this workspace is served here; if so, remember its bot user (and org)."""
        if not team_id or not self.workspaces.knows(team_id):
            log.info("request from workspace %r ignored: not installed here", team_id)
            return False
        self.workspaces.remember(team_id, context.bot_user_id, context.enterprise_id)
        return True

    # -- slash commands --------------------------------------------------------------------

    async def on_command(self, ack: Ack, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        command = translate.slash_command(body)
        if self.ours(command.team_id, context):
            self.work.spawn(self.run_command(command), f"/{command.group}")

    async def run_command(self, command: SlashCommand) -> None:
        client = await self.workspaces.client(command.team_id)
        actor = await self.directory.actor(
            client, command.team_id, command.user_id, command.user_name
        )
        try:
            inv = parse_invocation(command.line, command.community, command.channel_id, actor)
        except GrammarError as err:
            await self.reply(client, command, Reply(Card("That didn't work", str(err)), ok=False))
            return
        spec = registry.find(inv.command)
        inv = translate.slack_invocation(inv, spec)
        if (
            spec is not None
            and spec.form
            and not inv.options
            and command.trigger_id
            and (actor.is_moderator or not spec.moderator)
        ):
            await self.open_form(client, command, spec, inv)
            return
        reply = await self.core.handle_command(inv)
        await self.reply(client, command, reply)

    async def reply(self, client: AsyncWebClient, command: SlashCommand, reply: Reply) -> None:
        """Ephemeral answers through the response_url; chat.postEphemeral if that fails.
        Files (an export) go to the member's direct messages with the app."""
        card = reply.card
        if reply.attachments:
            sent = await self.send_files(client, command.user_id, reply.attachments)
            note = (
                "The file is in your direct messages with Cocreate."
                if sent
                else "The file could not be sent; please try again."
            )
            card = replace(card, footer=" · ".join(t for t in (card.footer, note) if t))
        content = blocks.message(card)
        kind = "ephemeral" if reply.ephemeral else "in_channel"
        payload = {"response_type": kind, "replace_original": False, **content}
        if command.response_url and await self.api.respond(command.response_url, payload):
            return
        try:
            if reply.ephemeral:
                await client.chat_postEphemeral(
                    channel=command.channel_id, user=command.user_id, **content
                )
            else:
                await client.chat_postMessage(channel=command.channel_id, **content)
        except SlackApiError as err:
            log.warning("reply to /%s not delivered: %s", command.group, err.response.get("error"))

    async def send_files(
        self, client: AsyncWebClient, user_id: str, files: Sequence[Attachment]
    ) -> bool:
        try:
            opened = await client.conversations_open(users=user_id)
        except SlackApiError as err:
            log.warning("no direct message with %s: %s", user_id, err.response.get("error"))
            return False
        channel = str((opened.get("channel") or {}).get("id", ""))
        return bool(channel) and await upload(client, channel, files)

    # -- forms -----------------------------------------------------------------------------

    async def open_form(
        self, client: AsyncWebClient, command: SlashCommand, spec: CommandSpec, inv: Invocation
    ) -> None:
        options = translate.form_options(spec, inv.positionals)
        metadata = {"cmd": list(spec.path), "ch": command.channel_id, "pos": list(inv.positionals)}
        title = None
        if spec.path == ("idea", "edit") and inv.positionals:
            title = f"Edit idea {inv.positionals[0]}"
        view = blocks.form_view(spec, options, metadata, self.settings.limits, title)
        try:
            await client.views_open(trigger_id=command.trigger_id, view=view)
        except SlackApiError as err:
            log.warning("views.open for %s failed: %s", spec.name, err.response.get("error"))
            hint = Card(
                "The form didn't open",
                f"Slack said `{err.response.get('error')}`. You can type it instead: "
                f"`{spec.usage}`",
            )
            await self.reply(client, command, Reply(hint, ok=False))

    async def on_form(
        self, ack: Ack, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        started = asyncio.get_running_loop().time()
        try:
            metadata = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            metadata = {}
        spec = registry.find(tuple(metadata.get("cmd") or ()))
        team = team_of(body)
        if spec is None or not self.ours(team, context):
            await ack()
            return
        positionals = tuple(str(p) for p in metadata.get("pos") or ())
        fields = translate.form_options(spec, positionals)
        state = (view.get("state") or {}).get("values") or {}
        options = translate.submitted_options(fields, state)
        errors = self.field_errors(spec, fields, options)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        user = body.get("user") or {}
        task = self.work.spawn(
            self.run_form(team, user, str(metadata.get("ch", "")), spec, options, positionals),
            f"form {spec.name}",
        )
        budget = self.tuning.form_budget_s - (asyncio.get_running_loop().time() - started)
        done, _ = await asyncio.wait({task}, timeout=max(budget, 0.0))
        if task in done:
            await ack(**self.form_answer(task.result(), fields))
            return
        await ack(response_action="update", view=blocks.working_view())
        self.work.spawn(self.finish_form(team, str(view.get("id", "")), task), "form result")

    def field_errors(
        self, spec: CommandSpec, fields: Sequence[Option], options: Mapping[str, OptionValue]
    ) -> dict[str, str]:
        """Per-field checks with the core's own converters, before anything runs."""
        required = blocks.FORM_REQUIRED.get(spec.path, set())
        errors: dict[str, str] = {}
        for option in fields:
            value = options.get(option.name)
            if value is None:
                if option.required or option.name in required:
                    errors[translate.block_id(option)] = "Please fill this in."
                continue
            try:
                convert(option, value)
                if option.limit and option.kind in (OptionKind.TEXT, OptionKind.LONG_TEXT):
                    clean_user_text(
                        str(value),
                        max_len=int(getattr(self.settings.limits, option.limit)),
                        field=option.name.replace("_", " "),
                        multiline=option.kind is OptionKind.LONG_TEXT,
                    )
            except UserError as err:
                errors[translate.block_id(option)] = blocks.clip(err.message, ERROR_TEXT)
            except TextError as err:
                errors[translate.block_id(option)] = blocks.clip(str(err), ERROR_TEXT)
        return errors

    async def run_form(
        self,
        team: str,
        user: Mapping[str, Any],
        channel: str,
        spec: CommandSpec,
        options: dict[str, OptionValue],
        positionals: tuple[str, ...],
    ) -> Reply:
        client = await self.workspaces.client(team)
        actor = await self.directory.actor(
            client, team, str(user.get("id", "")), str(user.get("name", ""))
        )
        inv = Invocation(community(team), channel, actor, spec.path, options, positionals)
        return await self.core.handle_command(inv)

    def form_answer(self, reply: Reply | None, fields: Sequence[Option]) -> dict[str, Any]:
        if reply is None:
            reply = Reply(Card("Something went wrong on our side", "Please try again."), ok=False)
        if reply.ok or not fields:
            return {"response_action": "update", "view": blocks.result_view(reply.card)}
        message = reply.card.body or reply.card.title
        if reply.error_id:
            message = f"{reply.card.title}. {message}"
        field = translate.error_field(message, fields) or fields[0]
        return {
            "response_action": "errors",
            "errors": {translate.block_id(field): blocks.clip(message, ERROR_TEXT)},
        }

    async def finish_form(self, team: str, view_id: str, task: asyncio.Task[Reply | None]) -> None:
        reply = await task
        if reply is None:
            reply = Reply(Card("Something went wrong on our side", "Please try again."), ok=False)
        client = await self.workspaces.client(team)
        title = "Cocreate" if reply.ok else "Not done"
        try:
            await client.views_update(view_id=view_id, view=blocks.result_view(reply.card, title))
        except SlackApiError as err:
            log.info("form result not shown: %s", err.response.get("error"))

    # -- reactions -------------------------------------------------------------------------

    async def on_reaction(self, ack: Ack, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        ref = translate.reaction_ref(body)
        if ref is not None and self.ours(ref.team_id, context):
            self.work.spawn(self.run_reaction(ref), "reaction")

    async def run_reaction(self, ref: translate.ReactionRef) -> None:
        client = await self.workspaces.client(ref.team_id)
        actor = await self.directory.actor(client, ref.team_id, ref.user_id, check_groups=False)
        event = translate.reaction_event(ref, actor, self.core.clock.now())
        outcome = await self.core.handle_reaction(event)
        if outcome.duplicate:
            log.info("event %s was already counted: ignored", ref.event_id)
        elif outcome.effect.startswith("ignored: not an idea"):
            log.info(
                "reaction in %s on %s ignored: not an idea post", ref.channel_id, ref.message_ts
            )
        else:
            log.debug("reaction %s by %s: %s", ref.emoji, ref.user_id, outcome.effect)

    # -- App Home --------------------------------------------------------------------------

    async def on_home(self, ack: Ack, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        event = body.get("event") or {}
        team = team_of(body)
        if event.get("tab", "home") == "home" and event.get("user") and self.ours(team, context):
            self.work.spawn(
                self.publish_home(team, str(event["user"]), str(event.get("channel", ""))), "home"
            )

    async def publish_home(self, team: str, user_id: str, channel: str) -> None:
        client = await self.workspaces.client(team)
        actor = await self.directory.actor(client, team, user_id)
        cards = []
        for path, options in HOME_COMMANDS:
            inv = Invocation(community(team), channel, actor, path, options)
            cards.append((await self.core.handle_command(inv)).card)
        await client.views_publish(user_id=user_id, view=blocks.home_view(cards))

    # -- review buttons --------------------------------------------------------------------

    async def on_review(
        self,
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        team = team_of(body)
        if self.ours(team, context):
            self.work.spawn(self.run_review(team, body, action), "review")

    async def run_review(self, team: str, body: dict[str, Any], action: dict[str, Any]) -> None:
        """A click runs `/mod approve #n` or `/mod reject #n` as the person who clicked."""
        number = str(action.get("value", ""))
        if not number.isdigit():
            log.info("review button with value %r ignored", number)
            return
        approve = action.get("action_id") == blocks.APPROVE_ACTION
        user = body.get("user") or {}
        client = await self.workspaces.client(team)
        actor = await self.directory.actor(
            client, team, str(user.get("id", "")), str(user.get("username", ""))
        )
        channel = str((body.get("channel") or {}).get("id", ""))
        verb = "approve" if approve else "reject"
        inv = Invocation(community(team), channel, actor, ("mod", verb), {}, (f"#{number}",))
        reply = await self.core.handle_command(inv)
        response_url = str(body.get("response_url", ""))
        payload = {"response_type": "ephemeral", "replace_original": False}
        if response_url:
            await self.api.respond(response_url, {**payload, **blocks.message(reply.card)})
        message = body.get("message") or {}
        if reply.ok and message.get("ts") and channel:
            await self.mark_reviewed(client, channel, message, actor, approve)

    async def mark_reviewed(
        self,
        client: AsyncWebClient,
        channel: str,
        message: Mapping[str, Any],
        actor: Actor,
        approve: bool,
    ) -> None:
        verdict = f"{'✅ Approved' if approve else '🚫 Rejected'} by {actor.display_name}"
        try:
            await client.chat_update(
                channel=channel,
                ts=str(message["ts"]),
                text=blocks.escape(verdict),
                blocks=blocks.reviewed_blocks(message.get("blocks") or [], verdict),
            )
        except (SlackApiError, UnknownWorkspace) as err:
            log.info("review post not updated: %s", err)
