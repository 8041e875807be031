"""Plain-text rendering of neutral cards, labelled with their channel."""

from __future__ import annotations

import re

from bot.messages import Card, Reply

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe(text: str) -> str:
    """No terminal escapes, bells or direction overrides reach the screen."""
    return _CONTROL.sub("", text)


def card_text(card: Card, indent: str = "  ") -> list[str]:
    lines = [safe(card.title)]
    lines += [indent + safe(line) for line in card.body.splitlines() if card.body]
    for name, value in card.fields:
        value_lines = safe(value).splitlines() or [""]
        if len(value_lines) == 1:
            lines.append(f"{indent}{safe(name)}: {value_lines[0]}")
        else:
            lines.append(f"{indent}{safe(name)}:")
            lines += [f"{indent}  {v}" for v in value_lines]
    if card.footer:
        lines.append(f"{indent}— {safe(card.footer)}")
    if card.actions:  # no buttons here: the commands they run
        lines.append(indent + " · ".join(f"[{safe(a.label)}] {a.usage}" for a in card.actions))
    return lines


def post_text(channel: str, card: Card) -> str:
    first, *rest = card_text(card)
    return "\n".join([f"[#{safe(channel)}] {first}", *rest])


def reply_text(channel: str, who: str, reply: Reply) -> str:
    audience = f"only {safe(who)} sees this" if reply.ephemeral else "public"
    mark = "" if reply.ok else "⚠️ "
    first, *rest = card_text(reply.card)
    return "\n".join([f"[#{safe(channel)} · {audience}] {mark}{first}", *rest])
