"""``[memory]``: the in-memory platform's own settings section (env ``COCREATE_MEMORY__…``)."""

from __future__ import annotations

from pydantic import Field

from bot.settings import PlatformSection, Settings


class MemorySettings(PlatformSection):
    """``[memory]``: a chat held in this process's memory, for tests and demos."""

    chat: str = Field(
        default="memory", min_length=1, description="Name of the in-memory chat this serves."
    )
    moderator_channel: str = Field(
        default="moderators", min_length=1, description="Channel of the review queue."
    )
    reconcile_days: int = Field(
        default=7, ge=0, description="Reconcile challenges closed this many days ago or later."
    )


def memory_settings(settings: Settings) -> MemorySettings:
    return settings.section("memory", MemorySettings)
