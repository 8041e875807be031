"""Slash commands, forms, autocomplete and review buttons: the 3-second rule and the reply.

A slash command whose form the member has not filled in gets the modal at once. Any
other slash command goes to the core, and its reply is the interaction's first response
when it comes within `answer_within_s` (one request, no "thinking" that flickers into
the answer). Past that, a timer defers it (an ephemeral "thinking…", well within
Discord's 3 seconds) and the reply replaces the thinking message when it comes. A
submitted form is answered the same way. Buttons and menus acknowledge first, then call
the core.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from adapters.discord import names, render, translate
from adapters.discord.commands import zone_choices
from adapters.discord.forms import (
    BUTTON_LABEL_MAX,
    FORM_PREFIX,
    FORM_TIMEOUT_S,
    CommandForm,
    ReasonForm,
    form_fields,
    form_submission,
    needs_form,
    option_words,
    submitted_values,
)
from adapters.discord.localise import local_name
from adapters.discord.resilience import (
    ALREADY_ACKNOWLEDGED,
    RetryPolicy,
    describe,
    retrying,
)
from adapters.discord.settings import discord_settings
from bot import i18n
from bot.commands import registry
from bot.commands.spec import CommandSpec, Option, OptionKind
from bot.errors import internal_error
from bot.i18n import _
from bot.messages import (
    ActionStyle,
    Actor,
    Card,
    CardAction,
    CommunityRef,
    Invocation,
    OptionValue,
    Reply,
)
from bot.review import ReviewAction
from bot.settings import Settings
from bot.text import message_as_idea

if TYPE_CHECKING:
    from bot.ports import Core

log = logging.getLogger("cocreate.discord")

AUTOCOMPLETE_TIMEOUT_S = 2.0
#: The message context-menu command that turns a message into an idea.
CAPTURE_MENU = names.CAPTURE_MENU
CAPTURE = ("idea", "capture")
CAPTURE_FORM = "cocreate:capture:"
#: The key of a form opened from a card's button in a direct message (Edit on a captured
#: idea), after the command in its custom id: the community's guild and the idea, so that
#: a submission after a restart still runs in the right community.
_DM_FORM_KEY = re.compile(r"dm(?P<guild>[0-9]{1,20})-(?P<number>[0-9]{1,9})-[0-9a-f]{1,32}")


def message_author(message: discord.Message) -> Actor:
    author = message.author
    return Actor(
        external_id=str(author.id),
        display_name=author.display_name,
        is_bot=author.bot or message.webhook_id is not None,
        account_created_at=translate.snowflake_time(author.id),
        joined_at=getattr(author, "joined_at", None),
    )


def interaction_locale(interaction: discord.Interaction) -> str | None:
    """The language of the member's Discord client (`es-ES`, `pt-BR`), as Discord spells it."""
    value = getattr(interaction.locale, "value", interaction.locale)
    return str(value) if value else None


def interaction_actor(interaction: discord.Interaction, moderator_roles: list[str]) -> Actor:
    """The member who interacts, with the moderator flag the core checks, and the language
    of their Discord client (the core answers in it unless they chose one)."""
    user = interaction.user
    role_ids = [int(r) for r in getattr(user, "_roles", [])]
    guild = interaction.guild
    names = []
    if guild is not None:
        for role_id in role_ids:
            role = guild.get_role(role_id)
            if role is not None:
                names.append(role.name)
    return Actor(
        external_id=str(user.id),
        display_name=user.display_name,
        is_moderator=translate.is_moderator(
            interaction.permissions.value, role_ids, names, moderator_roles
        ),
        is_bot=user.bot,
        account_created_at=translate.snowflake_time(user.id),
        joined_at=getattr(user, "joined_at", None),
        locale=interaction_locale(interaction),
    )


def interaction_community(interaction: discord.Interaction) -> CommunityRef | None:
    if interaction.guild_id is None:
        return None
    guild = interaction.guild
    name = guild.name if guild is not None and getattr(guild, "name", None) else ""
    return translate.community(interaction.guild_id, name or "")


class Interactions:
    """Turns interactions into Invocations and the core's replies into Discord answers."""

    def __init__(
        self,
        app: Core,
        settings: Settings,
        *,
        policy: RetryPolicy = RetryPolicy(),
        in_flight: int = 8,
    ) -> None:
        self.app = app
        self.moderator_roles = discord_settings(settings).moderator_roles
        self.settings = settings
        self.policy = policy
        # The acknowledgement must reach Discord within 3 s: short attempts, quick retry.
        self.ack_policy = replace(
            policy,
            attempts=min(policy.attempts, 2),
            timeout=min(policy.timeout, 1.25),
            base_delay=min(policy.base_delay, 0.1),
            max_delay=min(policy.max_delay, 0.2),
        )
        # Commands in the core at once. The database takes one transaction at a time
        # anyway; the others wait here, acknowledged, without crowding the event loop
        # that acknowledges new interactions.
        self._slots = asyncio.Semaphore(in_flight)
        #: a reply within this many seconds is the first response; 0: always defer first
        self.answer_within_s = discord_settings(settings).answer_within_s
        self._running: set[asyncio.Task[Any]] = set()
        #: custom ids of the forms opened here, with when: a form submitted that is not
        #: among them was opened before a restart, and no object waits for it
        self._forms: dict[str, float] = {}

    # -- slash commands ----------------------------------------------------------------

    async def slash(
        self, interaction: discord.Interaction, spec: CommandSpec, values: dict[str, Any]
    ) -> None:
        """The callback of every generated command."""
        options = translate.core_options(values)
        if interaction.guild_id is None:
            with self.speaking_to(interaction):
                card = Card(
                    _("Cocreate works in a server"), _("Use its commands in a server channel.")
                )
            await interaction.response.send_message(
                embed=render.reply_embed(card, ok=False),
                ephemeral=True,
                allowed_mentions=render.NO_MENTIONS,
            )
            return
        if needs_form(spec, options, self.settings.limits):
            with self.speaking_to(interaction):
                form = CommandForm(
                    spec, options, self.settings.limits, partial(self._form_done, spec)
                )
            now = time.monotonic()
            for old in [k for k, at in self._forms.items() if now - at > 2 * FORM_TIMEOUT_S]:
                del self._forms[old]
            self._forms[form.custom_id] = now
            await interaction.response.send_modal(form)
            return
        await self.run_answering(interaction, spec.path, options)

    def speaking_to(self, interaction: discord.Interaction) -> AbstractContextManager[str]:
        """Speak the member's language inside the block, for the adapter's own answers and
        the forms that open before the core has the command: their own choice as the core
        last saw it, else their Discord client's, else the community's."""
        locale = interaction_locale(interaction)
        community = interaction_community(interaction)
        if community is not None:
            locale = self.app.language_of(community, str(interaction.user.id), locale)
        return i18n.speaking(locale)

    async def capture(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """ "Submit as idea" on a message: the submission form, prefilled with its text,
        for an idea credited to its author (who confirms it when it is not the caller)."""
        spec = registry.find(("idea", "submit"))
        if spec is None or interaction.guild_id is None:
            return
        given: dict[str, OptionValue] = dict(
            message_as_idea(message.content or "", int(self.settings.limits.title_max))
        )
        author = message_author(message)
        extra: dict[str, OptionValue] = {"author": author.external_id, "source": message.jump_url}

        async def done(
            interaction: discord.Interaction,
            options: dict[str, OptionValue],
            echo: dict[str, str],
        ) -> None:
            await self.run_answering(
                interaction, CAPTURE, {**options, **extra}, echo=echo, people=(author,)
            )

        with self.speaking_to(interaction):
            form = CommandForm(spec, given, self.settings.limits, done)
        # Not the submission form's id: after a restart, what it carried (the author) is
        # gone, and it must not run as the caller's own idea.
        form.custom_id = f"{CAPTURE_FORM}{uuid.uuid4().hex[:12]}"
        self._forms[form.custom_id] = time.monotonic()
        await interaction.response.send_modal(form)

    async def _form_done(
        self,
        spec: CommandSpec,
        interaction: discord.Interaction,
        options: dict[str, OptionValue],
        echo: dict[str, str],
    ) -> None:
        await self.run_answering(interaction, spec.path, options, echo=echo)

    async def orphaned_form(self, interaction: discord.Interaction) -> None:
        """A form submitted after a restart: the process that opened it is gone, and with
        it what the slash command itself carried. Its fields and its command are in the
        submission, so the command runs with them; the core asks for anything missing, and
        a refusal gives the member their text back."""
        data = dict(interaction.data or {})
        if (
            interaction.type is not discord.InteractionType.modal_submit
            or data.get("custom_id") in self._forms
        ):
            return
        if str(data.get("custom_id", "")).startswith(CAPTURE_FORM):
            if await self.defer(interaction):
                with self.speaking_to(interaction) as tag:
                    card = Card(
                        _("That form expired"),
                        # TRANSLATORS: {menu} is the menu entry on a message, "Submit as idea".
                        _(
                            "Cocreate restarted since it opened. Use **{menu}** on the message "
                            "again.",
                            menu=local_name(tag, CAPTURE_MENU, menu=True) or CAPTURE_MENU,
                        ),
                    )
                await self.answer(interaction, Reply(card, ok=False))
            return
        found = form_submission(data)
        spec = registry.find(found[0]) if found else None
        if found is None or spec is None:
            return
        typed = submitted_values(form_fields(spec, self.settings.limits), found[1])
        community: CommunityRef | None = None
        if interaction.guild_id is None:  # a card's form in a DM: its key names the guild
            key = _DM_FORM_KEY.fullmatch(str(data.get("custom_id", "")).rpartition(":")[2])
            if key is None:
                return
            community = translate.community(key["guild"])
            typed["idea"] = int(key["number"])
        log.info("a /%s form opened before a restart was submitted", " ".join(spec.path))
        echo = {k: str(v) for k, v in typed.items() if isinstance(v, str)}
        await self.run_answering(interaction, spec.path, typed, echo=echo, community=community)

    async def defer(self, interaction: discord.Interaction) -> bool:
        """The acknowledgement: an ephemeral "thinking…" that the reply will replace."""
        return await self.respond_first(
            interaction,
            lambda: interaction.response.defer(ephemeral=True, thinking=True),
            "acknowledging interaction",
        )

    async def respond_first(
        self,
        interaction: discord.Interaction,
        respond: Callable[[], Awaitable[Any]],
        what: str,
    ) -> bool:
        """The interaction's first response, with the short attempts that Discord's
        3 seconds allow: True once it is made, by this call or an earlier attempt."""
        try:
            await retrying(respond, what=what, policy=self.ack_policy)
        except discord.InteractionResponded:
            return True
        except discord.HTTPException as err:
            if err.code == ALREADY_ACKNOWLEDGED:
                return True  # an earlier attempt got through
            log.warning("%s %s failed: %s", what, interaction.id, describe(err))
            return False
        except Exception as err:
            log.warning("%s %s failed: %s", what, interaction.id, describe(err))
            return False
        # From the interaction's creation: Discord's own clock runs its 3 s deadline.
        took = (discord.utils.utcnow() - interaction.created_at).total_seconds()
        self.app.metrics.ack_seconds.labels("discord").observe(max(took, 0.0))
        return True

    async def run_answering(
        self,
        interaction: discord.Interaction,
        path: tuple[str, ...],
        options: Mapping[str, OptionValue],
        *,
        echo: Mapping[str, str] | None = None,
        people: tuple[Actor, ...] = (),
        community: CommunityRef | None = None,
    ) -> None:
        """Run a slash command or a submitted form; its reply is the first response when
        it comes within `answer_within_s`, otherwise a timer defers the interaction
        meanwhile and the reply replaces the thinking message. `echo`: what the member
        typed into a form, given back with a refusal."""
        if self.answer_within_s <= 0:
            if await self.defer(interaction):
                await self.run(
                    interaction, path, options, echo=echo, people=people, community=community
                )
            return
        deferred: list[asyncio.Task[bool]] = []
        timer = asyncio.get_running_loop().call_later(
            self.answer_within_s,
            lambda: deferred.append(asyncio.ensure_future(self.defer(interaction))),
        )
        try:
            reply = await self.reply_to(
                interaction, path, options, people=people, community=community
            )
        finally:
            timer.cancel()
        if reply is None:
            return
        if not deferred:
            await self.answer_first(interaction, reply, echo)
        elif await deferred[0]:
            await self.answer(interaction, reply, echo)

    async def answer_first(
        self, interaction: discord.Interaction, reply: Reply, echo: Mapping[str, str] | None
    ) -> None:
        """The reply as the interaction's first response: ephemeral unless it is public."""
        embed = render.reply_embed(self.card_of(interaction, reply, echo), reply.ok)
        attachments = render.attachments_of(reply)
        await self.respond_first(
            interaction,
            lambda: interaction.response.send_message(
                embed=embed,
                files=render.files(attachments),
                ephemeral=reply.ephemeral,
                allowed_mentions=render.NO_MENTIONS,
            ),
            "answering interaction",
        )

    async def run(
        self,
        interaction: discord.Interaction,
        path: tuple[str, ...],
        options: Mapping[str, OptionValue],
        *,
        echo: Mapping[str, str] | None = None,
        people: tuple[Actor, ...] = (),
        community: CommunityRef | None = None,
    ) -> Reply | None:
        """Hand an acknowledged command to the core and answer with its reply."""
        reply = await self.reply_to(interaction, path, options, people=people, community=community)
        if reply is not None:
            await self.answer(interaction, reply, echo)
        return reply

    async def reply_to(
        self,
        interaction: discord.Interaction,
        path: tuple[str, ...],
        options: Mapping[str, OptionValue],
        *,
        people: tuple[Actor, ...] = (),
        community: CommunityRef | None = None,
    ) -> Reply | None:
        """The core's reply to a command (None outside a community). `community`: the one
        a direct message's button names (a DM is in no guild)."""
        community = community or interaction_community(interaction)
        if community is None:
            return None
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        try:
            actor = interaction_actor(interaction, self.moderator_roles)
            if interaction.guild_id is None:  # a DM: no roles or permissions of the guild
                actor = replace(actor, is_moderator=False)
            invocation = Invocation(
                community, str(interaction.channel_id), actor, path, dict(options), people=people
            )
            async with self._slots:
                return await self.app.handle_command(invocation)
        except Exception:
            return internal_error(log, "handling /%s on Discord", " ".join(path))

    def card_of(
        self, interaction: discord.Interaction, reply: Reply, echo: Mapping[str, str] | None
    ) -> Card:
        """The reply's card; a refused form's also gives back what the member typed."""
        card = reply.card
        if not echo or reply.ok:
            return card
        with self.speaking_to(interaction):
            kept = tuple(
                # TRANSLATORS: a field of a refused form, with what the member typed;
                # {name} is the field's name ("title", "description").
                (_("Your {name} (copy it to try again)", name=option_words(name)), text)
                for name, text in echo.items()
            )
        return Card(card.title, card.body, card.fields + kept, card.footer)

    async def answer(
        self, interaction: discord.Interaction, reply: Reply, echo: Mapping[str, str] | None = None
    ) -> None:
        """Replace the thinking message with the reply; a public reply is posted as well."""
        embed = render.reply_embed(self.card_of(interaction, reply, echo), reply.ok)
        attachments = render.attachments_of(reply)
        try:
            if reply.ephemeral:
                await retrying(
                    lambda: interaction.edit_original_response(
                        embed=embed,
                        attachments=render.files(attachments),
                        allowed_mentions=render.NO_MENTIONS,
                    ),
                    what="answering a command",
                    policy=self.policy,
                )
                return
            await retrying(
                lambda: interaction.followup.send(
                    embed=embed,
                    files=render.files(attachments),
                    ephemeral=False,
                    allowed_mentions=render.NO_MENTIONS,
                    wait=True,
                ),
                what="posting a command's public answer",
                policy=self.policy,
            )
            with self.speaking_to(interaction):
                posted = _("✅ Posted in the channel.")
            await retrying(
                lambda: interaction.edit_original_response(
                    content=posted, allowed_mentions=render.NO_MENTIONS
                ),
                what="answering a command",
                policy=self.policy,
            )
        except Exception as err:
            log.warning("could not answer interaction %s: %s", interaction.id, describe(err))

    async def finish(self, timeout: float) -> None:
        """At shutdown: let the commands already acknowledged get their answer."""
        running = [t for t in self._running if t is not asyncio.current_task()]
        if running:
            log.info("waiting for %d command(s) to finish", len(running))
            await asyncio.wait(running, timeout=timeout)

    # -- autocomplete ------------------------------------------------------------------

    async def complete(
        self, interaction: discord.Interaction, spec: CommandSpec, option: Option, typed: str
    ) -> list[app_commands.Choice[str]]:
        """Suggestions within Discord's 3 seconds; none rather than a late answer."""
        if option.kind is OptionKind.TIMEZONE:
            return zone_choices(typed)
        community = interaction_community(interaction)
        if community is None:
            return []
        try:
            async with asyncio.timeout(AUTOCOMPLETE_TIMEOUT_S):
                if option.kind is OptionKind.CHALLENGE:
                    actor = interaction_actor(interaction, self.moderator_roles)
                    found = await self.app.complete_challenges(
                        community, typed, moderator=actor.is_moderator
                    )
                    return [
                        app_commands.Choice(name=_choice_name(f"{title} ({slug})"), value=slug)
                        for slug, title in found[:25]
                    ]
                ideas = await self.app.complete_ideas(community, typed)
                return [
                    app_commands.Choice(name=_choice_name(f"#{n} · {title}"), value=str(n))
                    for n, title in ideas[:25]
                ]
        except Exception as err:
            log.warning("autocomplete of %s failed: %s", option.name, describe(err))
            return []

    # -- review buttons ----------------------------------------------------------------

    async def review(
        self, interaction: discord.Interaction, action: ReviewAction, number: int
    ) -> None:
        """Approve or Reject on a review post, run as the member who clicked."""
        if action is ReviewAction.REJECT:
            with self.speaking_to(interaction):
                form = ReasonForm(number, partial(self._rejected, number, interaction.message))
            await interaction.response.send_modal(form)
            return
        if await self.defer(interaction):
            await self._decide(interaction, interaction.message, action, number)

    async def _rejected(
        self,
        number: int,
        message: discord.Message | None,
        interaction: discord.Interaction,
        reason: str,
    ) -> None:
        if await self.defer(interaction):
            await self._decide(interaction, message, ReviewAction.REJECT, number, reason)

    async def _decide(
        self,
        interaction: discord.Interaction,
        message: discord.Message | None,
        action: ReviewAction,
        number: int,
        reason: str = "",
    ) -> None:
        """Run the action's command; once done, the review post shows who decided, and
        loses its buttons."""
        reply = await self.run(interaction, action.command, action.options(number, reason))
        if reply is None or not reply.ok or message is None:
            return
        embeds = [e.copy() for e in message.embeds]
        community = interaction_community(interaction)
        if embeds:
            # on the public review post: in the community's language, like the post
            with i18n.speaking(self.app.language_of(community, None) if community else None):
                embeds[0].set_footer(text=action.verdict(interaction.user.display_name))
        try:
            await retrying(
                lambda: message.edit(embeds=embeds, view=None, allowed_mentions=render.NO_MENTIONS),
                what="marking a review post",
                policy=self.policy,
            )
        except Exception as err:
            log.warning("could not mark review post %s: %s", message.id, describe(err))

    # -- card buttons (a captured idea's Confirm / Edit / Decline) ------------------------

    async def card_action(
        self, interaction: discord.Interaction, guild_id: int, action: CardAction
    ) -> None:
        """A card's button, run as the member who clicked in the community its id names:
        the command straight away, or its form first (Edit). The core decides."""
        spec = registry.find(action.command)
        takes_idea = spec is not None and any(
            o.name == "idea" and o.kind is OptionKind.IDEA for o in spec.options
        )
        if spec is None or not takes_idea or interaction.guild_id not in (None, guild_id):
            log.info("card button %s ignored", action.command)
            return
        community = translate.community(guild_id)
        if action.form and spec.form:
            with self.speaking_to(interaction):
                form = CommandForm(
                    spec,
                    action.options,
                    self.settings.limits,
                    partial(self._card_form_done, spec, community),
                )
            form.custom_id = (
                f"{FORM_PREFIX}{'-'.join(spec.path)}:"
                f"dm{guild_id}-{action.idea_number}-{uuid.uuid4().hex[:12]}"
            )
            self._forms[form.custom_id] = time.monotonic()
            await interaction.response.send_modal(form)
            return
        message = interaction.message
        if not await self.defer(interaction):
            return
        reply = await self.run(interaction, spec.path, action.options, community=community)
        if reply is None or not reply.ok or message is None:
            return
        try:  # decided: the message loses its buttons
            await retrying(
                lambda: message.edit(view=None, allowed_mentions=render.NO_MENTIONS),
                what="taking the buttons off a direct message",
                policy=self.policy,
            )
        except Exception as err:
            log.warning("could not take the buttons off message %s: %s", message.id,
                        describe(err))  # fmt: skip

    async def _card_form_done(
        self,
        spec: CommandSpec,
        community: CommunityRef,
        interaction: discord.Interaction,
        options: dict[str, OptionValue],
        echo: dict[str, str],
    ) -> None:
        if await self.defer(interaction):
            await self.run(interaction, spec.path, options, echo=echo, community=community)

    # -- errors --------------------------------------------------------------------------

    async def tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """What discord.py could not route (an unknown command, a bad option value)."""
        log.warning("interaction %s failed in discord.py: %s", interaction.id, error)
        if interaction.response.is_done():
            return
        with self.speaking_to(interaction):
            card = Card(_("That didn't work"), _("That command isn't available right now."))
        try:
            await interaction.response.send_message(
                embed=render.reply_embed(card, ok=False),
                ephemeral=True,
                allowed_mentions=render.NO_MENTIONS,
            )
        except Exception as err:
            log.warning("could not answer interaction %s: %s", interaction.id, describe(err))


def _choice_name(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 100 else text[:99] + "…"


class ReviewButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=render.REVIEW_TEMPLATE):
    """Approve or Reject on a review post. The custom id holds the action and the idea
    number, so clicks work after a restart without any stored state."""

    def __init__(self, action: ReviewAction, number: int) -> None:
        approve = action is ReviewAction.APPROVE
        super().__init__(
            discord.ui.Button(
                # in the language in force: the community's, where the review post is made
                label=_(action.label)[:BUTTON_LABEL_MAX],
                style=discord.ButtonStyle.success if approve else discord.ButtonStyle.danger,
                custom_id=render.review_custom_id(action, number),
            )
        )
        self.action = action
        self.number = number

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: Any,
        /,
    ) -> ReviewButton:
        return cls(ReviewAction(match["action"]), int(match["number"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        handler = getattr(interaction.client, "cocreate_interactions", None)
        if handler is None:
            log.warning("review click with no handler: %s", self.custom_id)
            return
        await handler.review(interaction, self.action, self.number)


_BUTTON_STYLES = {
    ActionStyle.DEFAULT: discord.ButtonStyle.secondary,
    ActionStyle.PRIMARY: discord.ButtonStyle.success,
    ActionStyle.DANGER: discord.ButtonStyle.danger,
}


class CardButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=render.ACTION_TEMPLATE):
    """A card's button (Confirm, Edit, Decline on a captured idea's direct message). Its
    custom id holds the guild, the command, the idea and whether the form opens, so clicks
    work after a restart without any stored state."""

    def __init__(self, guild_id: int, action: CardAction) -> None:
        super().__init__(
            discord.ui.Button(
                # in the card's language already (the reader's)
                label=action.label[:BUTTON_LABEL_MAX] or None,
                style=_BUTTON_STYLES[action.style],
                custom_id=render.action_custom_id(guild_id, action),
            )
        )
        self.guild_id = guild_id
        self.action = action

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: Any,
        /,
    ) -> CardButton:
        path = tuple(str(match["command"]).split("-"))
        action = CardAction("", path, int(match["number"]), form=bool(match["form"]))
        return cls(int(match["guild"]), action)

    async def callback(self, interaction: discord.Interaction) -> None:
        handler = getattr(interaction.client, "cocreate_interactions", None)
        if handler is None:
            log.warning("card button click with no handler: %s", self.custom_id)
            return
        await handler.card_action(interaction, self.guild_id, self.action)


def card_view(guild_id: int, actions: Sequence[CardAction]) -> discord.ui.View | None:
    """The buttons of a card (five to a row, as Discord lays them out), or None."""
    if not actions:
        return None
    view = discord.ui.View(timeout=None)
    for action in actions[:25]:
        view.add_item(CardButton(guild_id, action))
    return view


def review_view(number: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for action in ReviewAction:
        view.add_item(ReviewButton(action, number))
    return view
