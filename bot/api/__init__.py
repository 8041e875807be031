"""The read-only REST API for brand tools, mounted at /api on the `[http]` server."""

from bot.api.handlers import Api, api_app

__all__ = ["Api", "api_app"]
