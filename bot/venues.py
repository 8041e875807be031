"""Venues: the channels where a challenge's ideas and results are posted.

A challenge belongs to one community: its organisation's home (bot/organisations.py),
or its own community when that is not linked. Its venues can be channels of any
community of the organisation, on any platform. A venue in the challenge's own
community is written as its channel id; a venue elsewhere carries its community too,
as "<community id>/<channel id>", so that everything that handles a challenge's venues
(posts claimed and sent exactly once, the channel a command was typed in) compares and
stores them as one string.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

_SEPARATOR = "/"


@dataclass(frozen=True)
class Venue:
    channel_id: str
    #: the community of the channel; None: the challenge's own
    community_id: int | None = None

    @classmethod
    def parse(cls, text: str) -> Venue:
        community, sep, channel = text.partition(_SEPARATOR)
        if sep and community.isdigit() and channel:
            return cls(channel, int(community))
        return cls(text)

    def __str__(self) -> str:
        if self.community_id is None:
            return self.channel_id
        return f"{self.community_id}{_SEPARATOR}{self.channel_id}"

    def in_community(self, home_id: int) -> int:
        """The id of the community the channel is in, for a challenge kept in `home_id`."""
        return home_id if self.community_id is None else self.community_id


def venue(channel_id: str, community_id: int, home_id: int) -> str:
    """How a challenge kept in `home_id` names a channel of `community_id`."""
    return str(Venue(channel_id, None if community_id == home_id else community_id))


def elsewhere(venues: Sequence[str], community_id: int, home_id: int) -> list[str]:
    """The venues of a challenge kept in `home_id` that are not in `community_id`."""
    return [v for v in venues if Venue.parse(v).in_community(home_id) != community_id]
