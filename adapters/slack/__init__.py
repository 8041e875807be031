"""The Slack adapter (slack-bolt, HTTP mode or Socket Mode).

`SlackPlatform` is imported lazily, so that `cocreate slack manifest` does not load bolt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.slack.platform import SlackPlatform

__all__ = ["SlackPlatform"]


def __getattr__(name: str) -> Any:
    if name == "SlackPlatform":
        from adapters.slack.platform import SlackPlatform

        return SlackPlatform
    raise AttributeError(name)
