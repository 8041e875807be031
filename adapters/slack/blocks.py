"""Neutral cards rendered as Block Kit. Pure functions, tested on their output.

Every string of a card is literal text. Titles go into `header` blocks (plain text: Slack
parses nothing there); everything else into `mrkdwn` text objects with `&`, `<` and `>`
escaped and `verbatim` set, so that `<!channel>`, `<@U…>`, `<#C…>` or a `<url|label>`
typed by a member is shown as typed and can never ping or turn into a link. Each piece of
user text lives in a text object of its own, so formatting it contains cannot leak into
the rest of the message.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from adapters.slack.translate import block_id
from bot.commands.spec import CommandSpec, Option, OptionKind
from bot.i18n import N_, _
from bot.messages import ActionStyle, Card, CardAction
from bot.review import ReviewAction
from bot.settings import LimitsSettings

Block = dict[str, Any]

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
FIELD_TEXT = 2000
HEADER_TEXT = 150
CONTEXT_TEXT = 2000
FALLBACK_TEXT = 300
MODAL_TITLE = 24
BUTTON_TEXT = 75

APPROVE_ACTION = "cocreate_review_approve"
REJECT_ACTION = "cocreate_review_reject"
ACTION_IDS = {ReviewAction.APPROVE: APPROVE_ACTION, ReviewAction.REJECT: REJECT_ACTION}


def review_action(action_id: str) -> ReviewAction:
    return ReviewAction.APPROVE if action_id == APPROVE_ACTION else ReviewAction.REJECT


#: A card's buttons (a captured idea's Confirm / Edit / Decline): the action id names the
#: command (and `:form` when its form opens first), the value the idea; the workspace is
#: the payload's team, so a click in a direct message runs in the right community.
CARD_ACTION = "cocreate_act:"
_ACTION_STYLES = {ActionStyle.PRIMARY: "primary", ActionStyle.DANGER: "danger"}


def card_action_id(action: CardAction) -> str:
    return f"{CARD_ACTION}{'-'.join(action.command)}{':form' if action.form else ''}"


def card_action(action_id: str, value: str) -> CardAction | None:
    """The button a click names (without its label), or None when it is not one of ours."""
    if not action_id.startswith(CARD_ACTION) or not value.isdigit() or len(value) > 9:
        return None
    command, _sep, form = action_id.removeprefix(CARD_ACTION).partition(":")
    path = tuple(command.split("-"))
    if form not in ("", "form") or not all(w.isalpha() and w.islower() for w in path):
        return None
    return CardAction("", path, int(value), form=form == "form")


def actions_block(actions: Sequence[CardAction]) -> Block:
    elements = []
    for action in actions[:25]:
        button: dict[str, Any] = {
            "type": "button",
            "action_id": card_action_id(action),
            "text": plain(action.label, BUTTON_TEXT),
            "value": str(action.idea_number),
        }
        if action.style in _ACTION_STYLES:
            button["style"] = _ACTION_STYLES[action.style]
        elements.append(button)
    return {"type": "actions", "block_id": f"act:{actions[0].idea_number}", "elements": elements}


FORM_CALLBACK = "cocreate_form"

#: Short modal titles (Slack allows 24 characters: longer translations are cut) and submit
#: labels, translated where they are shown.
FORM_TITLES: dict[tuple[str, ...], tuple[str, str]] = {
    # TRANSLATORS: the title of a form; Slack shows at most 24 characters
    ("idea", "submit"): (N_("Submit an idea"), N_("Submit")),
    # TRANSLATORS: the title of a form; Slack shows at most 24 characters
    ("idea", "edit"): (N_("Edit an idea"), N_("Save")),
    # TRANSLATORS: the title of a form; Slack shows at most 24 characters
    ("idea", "capture"): (N_("Submit as idea"), N_("Submit")),
    # TRANSLATORS: the title of a form; Slack shows at most 24 characters
    ("challenge", "create"): (N_("New challenge"), N_("Create")),
}
#: Examples shown in empty form fields, translated where they are shown; those without
#: words (a time zone, a cron line, an idea number) are the same in every language.
_PLACEHOLDERS = {
    # TRANSLATORS: what a member may type: `7d` (7 days) and the date stay as they are
    OptionKind.WHEN: N_("7d, or 2026-03-31 18:00"),
    # TRANSLATORS: what a member may type: `30d`, `12h` and `0` stay as they are
    OptionKind.DURATION: N_("30d, 12h or 0"),
    OptionKind.CRON: "0 9 * * mon",
    OptionKind.TIMEZONE: "Europe/Paris",
    # TRANSLATORS: what a member may type: the emoji and `:partyparrot:` stay as they are
    OptionKind.EMOJI: N_("👍 or :partyparrot:"),
    OptionKind.CHALLENGE: N_("title or short name (empty: the one running here)"),
    OptionKind.IDEA: "#12",
}
_TRANSLATED_PLACEHOLDERS = frozenset(
    {OptionKind.WHEN, OptionKind.DURATION, OptionKind.EMOJI, OptionKind.CHALLENGE}
)


def escape(text: str) -> str:
    """mrkdwn escaping: the only three characters Slack wants escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(escaped: str) -> dict[str, Any]:
    """A mrkdwn text object for already escaped text; verbatim, so Slack links nothing."""
    return {"type": "mrkdwn", "text": escaped, "verbatim": True}


def plain(text: str, limit: int | None = None) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) if limit else text, "emoji": True}


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escaped_chunks(text: str, limit: int = SECTION_TEXT) -> list[str]:
    """`text` escaped and cut into pieces of at most `limit` characters, at line ends where
    possible and never inside an entity such as `&amp;`."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        piece = escape(line)
        joined = piece if not current else f"{current}\n{piece}"
        if len(joined) <= limit:
            current = joined
            continue
        if current:
            chunks.append(current)
        while len(piece) > limit:
            cut = limit
            amp = piece.rfind("&", max(0, cut - 4), cut)
            if amp != -1 and ";" not in piece[amp:cut]:
                cut = amp
            chunks.append(piece[:cut])
            piece = piece[cut:]
        current = piece
    if current.strip():
        chunks.append(current)
    return chunks


def _short_field(name: str, value: str) -> bool:
    return len(value) <= 300 and value.count("\n") < 3 and len(name) <= 100


def card_blocks(card: Card) -> list[Block]:
    """A card as blocks: header, body sections, fields, footer."""
    blocks: list[Block] = []
    if card.title.strip():
        blocks.append({"type": "header", "text": plain(card.title, HEADER_TEXT)})
    blocks += [{"type": "section", "text": mrkdwn(c)} for c in escaped_chunks(card.body)]
    grid: list[dict[str, Any]] = []
    for name, value in card.fields:
        if _short_field(name, value):
            grid.append(mrkdwn(clip(f"*{escape(name)}*\n{escape(value)}", FIELD_TEXT)))
            if len(grid) == 10:
                blocks.append({"type": "section", "fields": grid})
                grid = []
            continue
        if grid:
            blocks.append({"type": "section", "fields": grid})
            grid = []
        chunks = escaped_chunks(value, SECTION_TEXT - len(name) - 10) or [""]
        blocks.append({"type": "section", "text": mrkdwn(f"*{escape(name)}*\n{chunks[0]}")})
        blocks += [{"type": "section", "text": mrkdwn(c)} for c in chunks[1:]]
    if grid:
        blocks.append({"type": "section", "fields": grid})
    if card.footer.strip():
        footer = escaped_chunks(card.footer, CONTEXT_TEXT)
        blocks.append({"type": "context", "elements": [mrkdwn(footer[0])]})
    return blocks


def fit(blocks: list[Block], limit: int) -> list[Block]:
    """At most `limit` blocks; a note says when something was cut."""
    if len(blocks) <= limit:
        return blocks
    shortened = escape(_("…shortened: Slack shows at most this much."))
    note = {"type": "context", "elements": [mrkdwn(shortened)]}
    return [*blocks[: limit - 1], note]


def fallback_text(card: Card) -> str:
    """The message's `text`: notifications and screen readers. Escaped like the blocks."""
    first = card.body.strip().split("\n", 1)[0] if card.body.strip() else ""
    text = f"{card.title} — {first}" if first else card.title
    return escape(clip(text or "Cocreate", FALLBACK_TEXT))


def message(card: Card) -> dict[str, Any]:
    """`text` and `blocks` for chat.postMessage, chat.update or a response_url; the card's
    buttons, if it has any, last."""
    if not card.actions:
        return {"text": fallback_text(card), "blocks": fit(card_blocks(card), MESSAGE_BLOCKS)}
    shown = fit(card_blocks(card), MESSAGE_BLOCKS - 1)
    return {"text": fallback_text(card), "blocks": [*shown, actions_block(card.actions)]}


def review_message(card: Card, idea_number: int | None) -> dict[str, Any]:
    """A review post: the idea, and Approve / Reject buttons that run `/mod approve #n`."""
    out = message(card)
    if idea_number is None:
        return out
    value = str(idea_number)
    buttons = {
        "type": "actions",
        "block_id": f"review:{value}",
        "elements": [
            {
                "type": "button",
                "action_id": ACTION_IDS[action],
                "text": plain(_(action.label), BUTTON_TEXT),
                "style": "primary" if action is ReviewAction.APPROVE else "danger",
                "value": value,
            }
            for action in ReviewAction
        ],
    }
    out["blocks"] = [*fit(out["blocks"], MESSAGE_BLOCKS - 1), buttons]
    return out


def reviewed_blocks(blocks: Sequence[Mapping[str, Any]], verdict: str) -> list[Block]:
    """A review post once decided: the buttons replaced by who decided what."""
    kept = [dict(b) for b in blocks if b.get("type") != "actions"]
    line = {"type": "context", "elements": [mrkdwn(escape(verdict))]}
    return fit([*kept, line], MESSAGE_BLOCKS)


# -- App Home ------------------------------------------------------------------------------


def home_view(cards: Iterable[Card]) -> dict[str, Any]:
    """The App Home tab: the member's badges and points, rank, and the challenges."""
    blocks: list[Block] = []
    for card in cards:
        if blocks:
            blocks.append({"type": "divider"})
        blocks += card_blocks(card)
    blocks.append(
        {
            "type": "context",
            "elements": [
                mrkdwn(
                    escape(
                        # TRANSLATORS: /idea submit and /cocreate help are commands: keep them
                        _(
                            "Submit with /idea submit · vote by reacting to idea posts · "
                            "/cocreate help for everything else"
                        )
                    )
                )
            ],
        }
    )
    return {"type": "home", "blocks": fit(blocks, VIEW_BLOCKS)}


# -- modals --------------------------------------------------------------------------------


def _label(option: Option) -> str:
    return option.name.replace("_", " ").capitalize()


def _element(option: Option, limits: LimitsSettings) -> dict[str, Any]:
    kind = option.kind
    if kind is OptionKind.BOOL:
        return {
            "type": "checkboxes",
            "action_id": "value",
            "options": [{"text": plain(_(option.description), BUTTON_TEXT), "value": "yes"}],
        }
    if kind is OptionKind.INT:
        element: dict[str, Any] = {
            "type": "number_input",
            "action_id": "value",
            "is_decimal_allowed": False,
        }
        if option.min_value is not None:
            element["min_value"] = str(option.min_value)
        if option.max_value is not None:
            element["max_value"] = str(option.max_value)
        return element
    if kind is OptionKind.CHOICE:
        return {
            "type": "static_select",
            "action_id": "value",
            "options": [
                {"text": plain(c.replace("_", " ")), "value": c} for c in option.choices[:100]
            ],
        }
    if kind is OptionKind.CHANNEL:
        multiple = option.name == "venue"
        return {
            "type": "multi_conversations_select" if multiple else "conversations_select",
            "action_id": "value",
            "filter": {"include": ["public", "private"], "exclude_bot_users": True},
            **({"default_to_current_conversation": True} if multiple else {}),
        }
    if kind is OptionKind.MEMBER:
        return {"type": "users_select", "action_id": "value"}
    element = {"type": "plain_text_input", "action_id": "value"}
    if kind is OptionKind.LONG_TEXT:
        element["multiline"] = True
    limit = getattr(limits, option.limit) if option.limit else None
    if kind in (OptionKind.TEXT, OptionKind.LONG_TEXT):
        element["max_length"] = min(int(limit or 3000), 3000)
    placeholder = _PLACEHOLDERS.get(kind)
    if placeholder:
        shown = _(placeholder) if kind in _TRANSLATED_PLACEHOLDERS else placeholder
        element["placeholder"] = plain(shown, 150)
    return element


def form_view(
    spec: CommandSpec,
    options: Sequence[Option],
    metadata: Mapping[str, Any],
    limits: LimitsSettings,
    title: str | None = None,
    initial: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A modal asking for a command's options, built from its spec; `initial` prefills
    text fields (a captured message)."""
    # a command's name (the form's default title) stays as it is typed
    default_title, submit = FORM_TITLES.get(spec.path, (spec.name, N_("Submit")))
    if spec.path in FORM_TITLES:
        default_title = _(default_title)
    submit = _(submit)
    blocks: list[Block] = []
    for option in options:
        element = _element(option, limits)
        prefill = (initial or {}).get(option.name)
        if prefill and element["type"] == "plain_text_input":
            element["initial_value"] = clip(prefill, int(element.get("max_length", 3000)))
        block: Block = {
            "type": "input",
            "block_id": block_id(option),
            "label": plain(_label(option), 2000),
            "element": element,
            "optional": not spec.form_requires(option),
        }
        if option.kind is not OptionKind.BOOL:
            block["hint"] = plain(_(option.description), 2000)
        blocks.append(block)
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK,
        "title": plain(title or default_title, MODAL_TITLE),
        "submit": plain(submit, MODAL_TITLE),
        "close": plain(_("Cancel"), MODAL_TITLE),
        "private_metadata": json.dumps(metadata, separators=(",", ":")),
        "blocks": fit(blocks, VIEW_BLOCKS),
    }


def result_view(card: Card, title: str = "Cocreate") -> dict[str, Any]:
    """A modal showing the outcome of a form: the core's reply (its title, the product's
    name, is the same in every language)."""
    done = [{"type": "section", "text": mrkdwn(escape(_("Done.")))}]
    return {
        "type": "modal",
        "title": plain(title, MODAL_TITLE),
        "close": plain(_("Close"), MODAL_TITLE),
        "blocks": fit(card_blocks(card) or done, 100),
    }


def working_view() -> dict[str, Any]:
    return result_view(Card(_("⏳ Working on it"), _("This view updates when it's done.")))
