"""Which bot token speaks for which workspace: the configured one (single-workspace
install), or the one stored by the OAuth flow for each workspace (multi-workspace)."""

from __future__ import annotations

import logging

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.api import SlackApi
from adapters.slack.config import SlackConfig
from adapters.slack.installations import InstallationStore
from bot.settings import ConfigError

log = logging.getLogger("cocreate.slack")


class UnknownWorkspace(LookupError):
    """No installation of the app speaks for this workspace."""


class Workspaces:
    def __init__(self, api: SlackApi, config: SlackConfig, store: InstallationStore | None) -> None:
        self.api = api
        self.store = store
        self._single_token = None if config.oauth else config.bot_token
        #: the workspace of the single-workspace token (from auth.test at start)
        self.home_team: str | None = None
        self._bot_users: dict[str, str] = {}
        #: workspace -> its enterprise, for org-wide installs (learnt from requests)
        self._enterprises: dict[str, str] = {}

    @property
    def single(self) -> bool:
        return self._single_token is not None

    async def start(self) -> None:
        """Check the single-workspace token once, and learn its workspace and bot user."""
        if self._single_token is None:
            return
        try:
            response = await self.api.client(self._single_token).auth_test()
        except SlackApiError as err:
            raise ConfigError(
                f"slack.bot_token was refused by Slack: {err.response.get('error')}",
                key="slack.bot_token",
            ) from None
        except (aiohttp.ClientError, TimeoutError) as err:
            raise ConfigError(
                f"slack.api_base_url: cannot reach the Slack API at {self.api.base_url} "
                f"({type(err).__name__})",
                key="slack.api_base_url",
            ) from None
        self.home_team = str(response.get("team_id") or "")
        self.remember(self.home_team, response.get("user_id"))
        log.info("Slack workspace %s (%s)", self.home_team, response.get("team", ""))

    def remember(
        self, team_id: str, bot_user_id: str | None, enterprise_id: str | None = None
    ) -> None:
        """What bolt learnt while authorising a request (so later calls need no lookup)."""
        if team_id and bot_user_id:
            self._bot_users[team_id] = bot_user_id
        if team_id and enterprise_id:
            self._enterprises[team_id] = enterprise_id

    def serves(
        self, team_id: str, bot_user_id: str | None, enterprise_id: str | None = None
    ) -> bool:
        """Whether a request of this workspace is handled here; if so, its bot user (and
        org) are remembered. A request of another workspace is logged and ignored."""
        if not team_id or not self.knows(team_id):
            log.info("request from workspace %r ignored: not installed here", team_id)
            return False
        self.remember(team_id, bot_user_id, enterprise_id)
        return True

    def knows(self, team_id: str) -> bool:
        """Whether a request of this workspace is ours to handle. With one bot token, only
        its own workspace is; with OAuth, bolt has already found the installation."""
        return not self.single or team_id == self.home_team

    async def token(self, team_id: str) -> str:
        if self._single_token is not None:
            if self.home_team and team_id != self.home_team:
                raise UnknownWorkspace(team_id)
            return self._single_token
        assert self.store is not None
        installation = await self.store.find_by_team(team_id)
        token = installation.bot_token if installation else None
        if not token and team_id in self._enterprises:
            bot = await self.store.async_find_bot(
                enterprise_id=self._enterprises[team_id], team_id=team_id
            )
            token = bot.bot_token if bot else None
        if not token:
            raise UnknownWorkspace(team_id)
        return token

    async def client(self, team_id: str) -> AsyncWebClient:
        return self.api.client(await self.token(team_id))

    async def bot_user_id(self, team_id: str) -> str | None:
        found = self._bot_users.get(team_id)
        if found:
            return found
        try:
            response = await (await self.client(team_id)).auth_test()
        except SlackApiError as err:
            log.warning("auth.test for %s failed: %s", team_id, err.response.get("error"))
            return None
        user = str(response.get("user_id") or "")
        if user:
            self._bot_users[team_id] = user
        return user or None
