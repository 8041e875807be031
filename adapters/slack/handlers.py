"""Bolt listeners: requests are acked within Slack's 3 seconds, the work in the background.

A slash command's work starts in a tracked task at once, and its answer is the ack when
it comes within `Tuning.answer_budget_s` (1.5 s): one response, no response_url call.
Past that the ack goes out empty and the answer follows through the response_url. App
Home and review buttons are acked at once, with nothing done before the ack; their work
answers through views.publish or chat.update. A replayed command or click (the same
trigger_id or signed body) is dropped in the task, and its ack is empty. A form
submission answers in its ack the same way (Slack shows a form's errors only there),
within `Tuning.form_budget_s` (2 s); if it needs longer, the modal says it is working
and is updated when the answer comes. Reaction events are acked only once committed
(`reactions.py`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractContextManager
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
from adapters.slack.config import Tuning
from adapters.slack.directory import Directory
from adapters.slack.installations import InstallationStore
from adapters.slack.publisher import upload
from adapters.slack.reactions import ReactionDesk
from adapters.slack.replays import ReplayGuard, ignored, keys_of, storage_down
from adapters.slack.translate import FormMetadata, SlashCommand, community, obj, team_of, text
from adapters.slack.workspaces import UnknownWorkspace, Workspaces
from bot import i18n
from bot.commands import registry
from bot.commands.args import convert
from bot.commands.spec import CommandSpec, Option, OptionKind
from bot.core import parse_invocation
from bot.errors import StorageUnavailable, UserError, internal_error, internal_error_reply
from bot.grammar import GrammarError
from bot.i18n import _
from bot.messages import Actor, Attachment, Card, CardAction, Invocation, OptionValue, Reply
from bot.ports import Core
from bot.settings import Settings
from bot.tasks import Background
from bot.text import TextError, clean_user_text, message_as_idea

log = logging.getLogger("cocreate.slack")

Ack = Callable[..., Awaitable[Any]]
#: The home tab: the member's badges and points, their rank, the challenges, and the
#: roadmap (what became of the community's ideas).
HOME_COMMANDS: tuple[tuple[tuple[str, ...], dict[str, OptionValue]], ...] = (
    (("badges",), {}),
    (("leaderboard",), {"period": "all"}),
    (("challenge", "list"), {}),
    (("roadmap",), {}),
)
ERROR_TEXT = 300
CAPTURE = ("idea", "capture")


class SlackHandlers:
    def __init__(
        self,
        core: Core,
        settings: Settings,
        api: SlackApi,
        workspaces: Workspaces,
        directory: Directory,
        work: Background,
        tuning: Tuning,
        installations: InstallationStore | None = None,
    ) -> None:
        self.core = core
        self.installations = installations
        self.settings = settings
        self.api = api
        self.workspaces = workspaces
        self.directory = directory
        self.work = work
        self.tuning = tuning
        self.reactions = ReactionDesk(core, workspaces, directory, work, tuning)
        self.replays = ReplayGuard(core)

    def register(self, bolt: AsyncApp) -> None:
        bolt.middleware(self.note_retries)
        bolt.middleware(self.reactions.answer)
        for group in translate.GROUPS:
            bolt.command(f"/{group}")(self.on_command)
        bolt.event("app_home_opened")(self.on_home)
        bolt.event("app_uninstalled")(self.on_uninstalled)
        bolt.event("tokens_revoked")(self.on_tokens_revoked)
        bolt.action(blocks.APPROVE_ACTION)(self.on_review)
        bolt.action(blocks.REJECT_ACTION)(self.on_review)
        bolt.action(re.compile("^" + re.escape(blocks.CARD_ACTION)))(self.on_card_action)
        bolt.view(blocks.FORM_CALLBACK)(self.on_form)
        bolt.shortcut(translate.CAPTURE_CALLBACK)(self.on_capture)

    # -- common ----------------------------------------------------------------------------

    async def note_retries(
        self, request: AsyncBoltRequest, next_: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        """Slack retries an event it thinks failed; the core counts each event_id once."""
        retry = request.headers.get("x-slack-retry-num")
        if retry and retry[0] not in ("", "0"):
            reason = request.headers.get("x-slack-retry-reason", ["?"])[0]
            log.info(
                "Slack retry %s (%s) of event %s", retry[0], reason, text(request.body, "event_id")
            )
        return await next_()

    def ours(self, team_id: str, context: AsyncBoltContext) -> bool:
        """Whether this workspace is served here; if so, remember its bot user (and org)."""
        return self.workspaces.serves(team_id, context.bot_user_id, context.enterprise_id)

    # -- slash commands --------------------------------------------------------------------

    async def on_command(
        self,
        ack: Ack,
        body: dict[str, Any],
        context: AsyncBoltContext,
        request: AsyncBoltRequest,
    ) -> None:
        command = translate.slash_command(body)
        if not self.ours(command.team_id, context):
            await ack()
            return
        keys = keys_of(request, command.trigger_id)
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        work = self.work.spawn(self.run_command(command, keys, answer), f"/{command.group}")
        work.add_done_callback(lambda _: answer.cancel())  # done with nothing to say
        if self.tuning.answer_budget_s > 0:
            await asyncio.wait({answer}, timeout=self.tuning.answer_budget_s)
        if answer.done() and not answer.cancelled():
            await ack(**answer.result())
            return
        answer.cancel()  # too late for the ack: the answer goes to the response_url
        await ack()

    async def run_command(
        self,
        command: SlashCommand,
        keys: list[str],
        answer: asyncio.Future[dict[str, Any]] | None = None,
    ) -> None:
        """`keys`: the request's replay keys; `answer`: where an answer goes while the
        request still waits for its ack."""
        client = await self.workspaces.client(command.team_id)
        actor = await self.directory.actor(
            client, command.team_id, command.user_id, command.user_name
        )
        # What this adapter says itself is in the language Slack reports for them (the core
        # answers in their own choice, if they made one).
        with self.speaking_to(command.team_id, actor.external_id, actor.locale):
            await self.answer_command(client, command, actor, keys, answer)

    async def answer_command(
        self,
        client: AsyncWebClient,
        command: SlashCommand,
        actor: Actor,
        keys: list[str],
        answer: asyncio.Future[dict[str, Any]] | None = None,
    ) -> None:
        """A command runs once for its request: the core records the request's keys in the
        command's own transaction (a replay gets no answer); the refusals and forms that
        this adapter answers itself record them first."""
        what = f"/{command.group}"
        try:
            inv = parse_invocation(command.line, command.community, command.channel_id, actor)
        except GrammarError as err:
            if await self.first_time(client, command, keys, answer):
                refused = Card(_("That didn't work"), str(err))
                await self.reply(client, command, Reply(refused, ok=False), answer)
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
            if await self.first_time(client, command, keys, answer):
                await self.open_form(client, command, spec, inv)
            return
        reply = await self.core.handle_command(replace(inv, request_keys=tuple(keys)))
        if reply.replay_of is not None:
            ignored(what, reply.replay_of)
            return
        await self.reply(client, command, reply, answer)

    async def first_time(
        self,
        client: AsyncWebClient,
        command: SlashCommand,
        keys: list[str],
        answer: asyncio.Future[dict[str, Any]] | None,
    ) -> bool:
        """Whether the command's request is seen for the first time (recorded now); a
        member is told when the database cannot tell."""
        what = f"/{command.group}"
        try:
            return await self.replays.first_time(keys, what)
        except StorageUnavailable:
            log.warning("%s not run: the database is down", what)
            await self.reply(client, command, Reply(storage_down(), ok=False), answer)
            return False

    async def reply(
        self,
        client: AsyncWebClient,
        command: SlashCommand,
        reply: Reply,
        answer: asyncio.Future[dict[str, Any]] | None = None,
    ) -> None:
        """The answer: in the ack when the request still waits for it (`answer`), else
        through the response_url, else chat.postEphemeral. Files (an export) go to the
        member's direct messages with the app."""
        card = reply.card
        if reply.attachments:
            sent = await self.send_files(client, command.user_id, reply.attachments)
            note = (
                _("The file is in your direct messages with Cocreate.")
                if sent
                else _("The file could not be sent; please try again.")
            )
            card = replace(card, footer=" · ".join(t for t in (card.footer, note) if t))
        content = blocks.message(card)
        kind = "ephemeral" if reply.ephemeral else "in_channel"
        if answer is not None and not answer.done():
            answer.set_result({"response_type": kind, **content})
            return
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
        metadata = FormMetadata(spec.path, command.channel_id, inv.positionals)
        title = None
        if spec.path == ("idea", "edit") and inv.positionals:
            # TRANSLATORS: a form's title (Slack shows at most 24 characters); {idea} is "#12"
            title = _("Edit idea {idea}", idea=inv.positionals[0])
        view = blocks.form_view(spec, options, metadata.as_dict(), self.settings.limits, title)
        try:
            await client.views_open(trigger_id=command.trigger_id, view=view)
        except SlackApiError as err:
            log.warning("views.open for %s failed: %s", spec.name, err.response.get("error"))
            hint = Card(
                _("The form didn't open"),
                # TRANSLATORS: {error} is Slack's error code, {usage} the command to type
                _(
                    "Slack said `{error}`. You can type it instead: `{usage}`",
                    error=err.response.get("error"),
                    usage=spec.usage,
                ),
            )
            await self.reply(client, command, Reply(hint, ok=False))

    async def on_capture(self, ack: Ack, body: dict[str, Any], context: AsyncBoltContext) -> None:
        """The message shortcut "Submit as idea": the submission form, prefilled with the
        message's text, for an idea credited to its author (who confirms it when it is not
        the caller). The form must open within the trigger's 3 seconds: no database here."""
        await ack()
        team = team_of(body)
        if not self.ours(team, context):
            return
        spec = registry.find(CAPTURE)
        message = obj(body, "message")
        author, ts = text(message, "user"), text(message, "ts")
        channel = text(obj(body, "channel"), "id")
        if spec is None or not channel or not ts:
            return
        client = await self.workspaces.client(team)
        # no call to Slack before the form opens: their language if it is known already
        with self.speaking_to(team, text(obj(body, "user"), "id")):
            await self.capture_form(client, spec, body, message, author, ts, channel)

    async def capture_form(
        self,
        client: AsyncWebClient,
        spec: CommandSpec,
        body: dict[str, Any],
        message: Mapping[str, Any],
        author: str,
        ts: str,
        channel: str,
    ) -> None:
        if not author or message.get("bot_id"):
            refusal = Card(_("That didn't work"), _("Only a member's message can become an idea."))
            url = text(body, "response_url")
            if not url or not await self.api.respond(
                url, {"response_type": "ephemeral", **blocks.message(refusal)}
            ):
                await client.chat_postEphemeral(
                    channel=channel, user=text(obj(body, "user"), "id"), **blocks.message(refusal)
                )
            return
        given = {"author": author, "source": translate.message_link(channel, ts)}
        prefill = message_as_idea(
            translate.message_text(text(message, "text")), int(self.settings.limits.title_max)
        )
        fields = [o for o in translate.form_options(spec, ()) if o.name not in given]
        metadata = FormMetadata(spec.path, channel, (), given)
        view = blocks.form_view(
            spec, fields, metadata.as_dict(), self.settings.limits, initial=prefill
        )
        await open_form(client, body, view, "a capture")

    async def on_form(
        self,
        ack: Ack,
        body: dict[str, Any],
        view: dict[str, Any],
        context: AsyncBoltContext,
        request: AsyncBoltRequest,
    ) -> None:
        started = asyncio.get_running_loop().time()
        metadata = translate.form_metadata(view.get("private_metadata"))
        spec = registry.find(metadata.command) if metadata.command else None
        team = team_of(body)
        if spec is None:
            log.info("form submission ignored: its metadata names none of our commands")
            await ack()
            return
        if not self.ours(team, context):
            await ack()
            return
        user = obj(body, "user")
        with self.speaking_to(team, text(user, "id")):
            await self.submit_form(ack, body, view, request, started, metadata, spec)

    async def submit_form(
        self,
        ack: Ack,
        body: dict[str, Any],
        view: dict[str, Any],
        request: AsyncBoltRequest,
        started: float,
        metadata: FormMetadata,
        spec: CommandSpec,
    ) -> None:
        team = team_of(body)
        positionals = metadata.positionals
        fields = [
            o for o in translate.form_options(spec, positionals) if o.name not in metadata.given
        ]
        options = translate.submitted_options(fields, obj(obj(view, "state"), "values"))
        errors = self.field_errors(spec, fields, options)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        try:
            keys = keys_of(request, text(body, "trigger_id"))
            first = await self.replays.first_time(keys, f"form {spec.name}")
        except StorageUnavailable:
            log.warning("form %s not run: the database is down", spec.name)
            await ack(**self.form_answer(Reply(storage_down(), ok=False), fields))
            return
        if not first:
            await ack()
            return
        user = obj(body, "user")
        options = {**metadata.given, **options}
        task = self.work.spawn(
            self.run_form(team, user, metadata.channel_id, spec, options, positionals),
            f"form {spec.name}",
        )
        budget = self.tuning.form_budget_s - (asyncio.get_running_loop().time() - started)
        done, _pending = await asyncio.wait({task}, timeout=max(budget, 0.0))
        if task in done:
            await ack(**self.form_answer(task.result() or internal_error_reply(), fields))
            return
        await ack(response_action="update", view=blocks.working_view())
        locale = i18n.current()
        self.work.spawn(self.finish_form(team, text(view, "id"), task, locale), "form result")

    def field_errors(
        self, spec: CommandSpec, fields: Sequence[Option], options: Mapping[str, OptionValue]
    ) -> dict[str, str]:
        """Per-field checks with the core's own converters, before anything runs."""
        errors: dict[str, str] = {}
        for option in fields:
            value = options.get(option.name)
            if value is None:
                if spec.form_requires(option):
                    errors[translate.block_id(option)] = _("Please fill this in.")
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
        try:
            client = await self.workspaces.client(team)
            actor = await self.directory.actor(client, team, text(user, "id"), text(user, "name"))
            people: tuple[Actor, ...] = ()
            if spec.path == CAPTURE and isinstance(options.get("author"), str):
                people = (await self.directory.actor(client, team, str(options["author"])),)
        except Exception:
            return internal_error(log, "running the form %s on Slack", spec.name)
        inv = Invocation(
            community(team), channel, actor, spec.path, options, positionals, people=people
        )
        return await self.core.handle_command(inv)

    def form_answer(self, reply: Reply, fields: Sequence[Option]) -> dict[str, Any]:
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

    async def finish_form(
        self, team: str, view_id: str, task: asyncio.Task[Reply | None], locale: str
    ) -> None:
        reply = await task
        client = await self.workspaces.client(team)
        with i18n.speaking(locale):
            reply = reply or internal_error_reply()
            title = "Cocreate" if reply.ok else _("Not done")
            view = blocks.result_view(reply.card, title)
        try:
            await client.views_update(view_id=view_id, view=view)
        except SlackApiError as err:
            log.info("form result not shown: %s", err.response.get("error"))

    def speaking_to(
        self, team: str, user_id: str, platform_locale: str | None = None
    ) -> AbstractContextManager[str]:
        """Speak the member's language inside the block, for what the adapter writes itself
        (forms, refusals, the App Home's frame): their own choice as the core last saw it,
        else their Slack language (as given, or as `users.info` told it before: no call to
        Slack here), else the workspace's."""
        known = platform_locale or self.directory.cached_locale(team, user_id)
        return i18n.speaking(self.core.language_of(community(team), user_id, known))

    # -- App Home --------------------------------------------------------------------------

    async def on_home(self, ack: Ack, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        event = obj(body, "event")
        team, user = team_of(body), text(event, "user")
        if event.get("tab", "home") == "home" and user and self.ours(team, context):
            self.work.spawn(self.publish_home(team, user, text(event, "channel")), "home")

    async def publish_home(self, team: str, user_id: str, channel: str) -> None:
        client = await self.workspaces.client(team)
        actor = await self.directory.actor(client, team, user_id)
        cards = []
        for path, options in HOME_COMMANDS:
            inv = Invocation(community(team), channel, actor, path, options)
            cards.append((await self.core.handle_command(inv)).card)
        with self.speaking_to(team, user_id, actor.locale):
            view = blocks.home_view(cards)
        await client.views_publish(user_id=user_id, view=view)

    # -- the app removed from a workspace --------------------------------------------------

    async def on_uninstalled(self, ack: Ack, body: dict[str, Any]) -> None:
        await ack()
        self.work.spawn(self.removed(team_of(body), text(body, "enterprise_id")), "uninstalled")

    async def on_tokens_revoked(self, ack: Ack, body: dict[str, Any]) -> None:
        """Only the bot's tokens matter: without them the app can do nothing there."""
        await ack()
        tokens = obj(obj(body, "event"), "tokens")
        if tokens.get("bot"):
            self.work.spawn(self.removed(team_of(body), text(body, "enterprise_id")), "revoked")

    async def removed(self, team: str, enterprise: str) -> None:
        """The workspace is marked as left (its data goes after `data.left_grace_days`), and
        its installation, whose tokens are dead now, is deleted."""
        if not team:
            return
        log.info("Slack app removed from workspace %s", team)
        await self.core.community_left(community(team))
        if self.installations is not None:
            await self.installations.async_delete_all(
                enterprise_id=enterprise or None, team_id=team
            )

    # -- review buttons --------------------------------------------------------------------

    async def on_review(
        self,
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        context: AsyncBoltContext,
        request: AsyncBoltRequest,
    ) -> None:
        await ack()
        team = team_of(body)
        if self.ours(team, context):
            keys = keys_of(request, text(body, "trigger_id"))
            self.work.spawn(self.run_review(team, body, action, keys), "review")

    async def run_review(
        self, team: str, body: dict[str, Any], action: dict[str, Any], keys: list[str]
    ) -> None:
        """A click runs `/mod approve #n` or `/mod reject #n` as the person who clicked."""
        number = text(action, "value")
        if not number.isdigit():
            log.info("review button with value %r ignored", number[:20])
            return
        response_url = text(body, "response_url")
        payload = {"response_type": "ephemeral", "replace_original": False}
        try:
            first = await self.replays.first_time(keys, "review button")
        except StorageUnavailable:
            log.warning("review button not run: the database is down")
            if response_url:
                with self.speaking_to(team, text(obj(body, "user"), "id")):
                    down = blocks.message(storage_down())
                await self.api.respond(response_url, {**payload, **down})
            return
        if not first:
            return
        decision = blocks.review_action(text(action, "action_id"))
        user = obj(body, "user")
        client = await self.workspaces.client(team)
        actor = await self.directory.actor(client, team, text(user, "id"), text(user, "username"))
        channel = text(obj(body, "channel"), "id")
        options = decision.options(int(number))
        inv = Invocation(community(team), channel, actor, decision.command, options)
        reply = await self.core.handle_command(inv)
        if response_url:
            await self.api.respond(response_url, {**payload, **blocks.message(reply.card)})
        message = obj(body, "message")
        if reply.ok and text(message, "ts") and channel:
            # on the public review post: in the community's language, like the post
            with i18n.speaking(self.core.language_of(community(team), None)):
                verdict = decision.verdict(actor.display_name)
            await self.mark_reviewed(client, channel, message, verdict)

    # -- card buttons (a captured idea's Confirm / Edit / Decline) ------------------------

    async def on_card_action(
        self,
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        context: AsyncBoltContext,
        request: AsyncBoltRequest,
    ) -> None:
        """A card's button: its command as the member who clicked, in the payload's
        workspace (a direct message is in no channel of it); Edit opens the command's form
        first, within the trigger's 3 seconds, so before any database work."""
        await ack()
        team = team_of(body)
        chosen = blocks.card_action(text(action, "action_id"), text(action, "value"))
        spec = registry.find(chosen.command) if chosen is not None else None
        if chosen is None or spec is None or not self.ours(team, context):
            log.info("card button %r ignored", text(action, "action_id")[:40])
            return
        if not any(o.name == "idea" and o.kind is OptionKind.IDEA for o in spec.options):
            return
        if chosen.form and spec.form:
            client = await self.workspaces.client(team)
            with self.speaking_to(team, text(obj(body, "user"), "id")):
                await self.card_form(client, body, spec, chosen)
            return
        keys = keys_of(request, text(body, "trigger_id"))
        self.work.spawn(self.run_card_action(team, body, spec, chosen, keys), "card button")

    async def card_form(
        self, client: AsyncWebClient, body: dict[str, Any], spec: CommandSpec, chosen: CardAction
    ) -> None:
        """The command's form for the idea, as `/idea edit #n` alone opens it."""
        positionals = (f"#{chosen.idea_number}",)
        channel = text(obj(body, "channel"), "id") or text(obj(body, "container"), "channel_id")
        metadata = FormMetadata(spec.path, channel, positionals)
        options = translate.form_options(spec, positionals)
        title = None
        if spec.path == ("idea", "edit"):
            # TRANSLATORS: a form's title (Slack shows at most 24 characters); {idea} is "#12"
            title = _("Edit idea {idea}", idea=positionals[0])
        view = blocks.form_view(spec, options, metadata.as_dict(), self.settings.limits, title)
        await open_form(client, body, view, "a card button")

    async def run_card_action(
        self,
        team: str,
        body: dict[str, Any],
        spec: CommandSpec,
        chosen: CardAction,
        keys: list[str],
    ) -> None:
        response_url = text(body, "response_url")
        payload = {"response_type": "ephemeral", "replace_original": False}
        user = obj(body, "user")
        try:
            first = await self.replays.first_time(keys, "card button")
        except StorageUnavailable:
            log.warning("card button not run: the database is down")
            if response_url:
                with self.speaking_to(team, text(user, "id")):
                    down = blocks.message(storage_down())
                await self.api.respond(response_url, {**payload, **down})
            return
        if not first:
            return
        client = await self.workspaces.client(team)
        actor = await self.directory.actor(client, team, text(user, "id"), text(user, "username"))
        channel = text(obj(body, "channel"), "id") or text(obj(body, "container"), "channel_id")
        inv = Invocation(community(team), channel, actor, spec.path, chosen.options)
        reply = await self.core.handle_command(inv)
        if response_url:
            await self.api.respond(response_url, {**payload, **blocks.message(reply.card)})
        message = obj(body, "message")
        if reply.ok and text(message, "ts") and channel:
            # decided: the buttons give way to what happened
            await self.mark_reviewed(client, channel, message, reply.card.title)

    async def mark_reviewed(
        self,
        client: AsyncWebClient,
        channel: str,
        message: Mapping[str, Any],
        verdict: str,
    ) -> None:
        shown = message.get("blocks")
        kept = [b for b in shown if isinstance(b, Mapping)] if isinstance(shown, list) else []
        try:
            await client.chat_update(
                channel=channel,
                ts=str(message["ts"]),
                text=blocks.escape(verdict),
                blocks=blocks.reviewed_blocks(kept, verdict),
            )
        except (SlackApiError, UnknownWorkspace) as err:
            log.info("review post not updated: %s", err)


async def open_form(
    client: AsyncWebClient, body: dict[str, Any], view: dict[str, Any], what: str
) -> None:
    """Open a form on the interaction that asked for it (a shortcut, a button); a refusal
    is logged (the trigger expired: the member clicks again)."""
    try:
        await client.views_open(trigger_id=text(body, "trigger_id"), view=view)
    except SlackApiError as err:
        log.warning("views.open for %s failed: %s", what, err.response.get("error"))
