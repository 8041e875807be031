"""What members may see, in one place: the chat's commands and posts, the brand report and
the REST API all ask here. Moderators see everything; everyone else sees no tally while a
sealed challenge runs, no author of an anonymous idea, and no draft."""

from __future__ import annotations

from bot.model import Challenge, Idea, Phase


def tallies_sealed(challenge: Challenge) -> bool:
    """A sealed challenge hides its tallies (counts, order by votes) until it closes."""
    return challenge.settings.sealed and challenge.phase is not Phase.CLOSED


def votes_visible(challenge: Challenge, *, moderator: bool) -> bool:
    """Whether this viewer may see the challenge's counted votes and ranking."""
    return moderator or not tallies_sealed(challenge)


def challenge_visible(challenge: Challenge, *, moderator: bool) -> bool:
    """A draft is the moderators' until it opens."""
    return moderator or challenge.phase is not Phase.DRAFT


def author_shown(idea: Idea, name: str, *, moderator: bool) -> str | None:
    """The author's name as this viewer may see it; None for an anonymous idea's author."""
    return name if moderator or not idea.anonymous else None
