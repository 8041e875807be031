"""`SlackPlatform`: the Slack adapter, started and stopped by the composition root."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from adapters.slack.api import SlackApi
from adapters.slack.bolt_app import build_bolt
from adapters.slack.config import SlackConfig, Tuning, slack_config
from adapters.slack.directory import Directory
from adapters.slack.handlers import SlackHandlers
from adapters.slack.installations import InstallationStore, OAuthStateStore, codec_for
from adapters.slack.publisher import SlackPublisher, SlackReconciler
from adapters.slack.reactions import ReactionCapture
from adapters.slack.runner import HttpRunner, SocketRunner
from adapters.slack.settings import slack_settings
from adapters.slack.translate import PLATFORM
from adapters.slack.workspaces import Workspaces
from bot.capturing import capture_emoji
from bot.ports import Core
from bot.settings import Settings
from bot.tasks import Background

log = logging.getLogger("cocreate.slack")
logging.getLogger("cocreate.slack.socket").setLevel(logging.INFO)

STOP_GRACE_S = 10.0


class SlackPlatform:
    """Slack through slack-bolt, in HTTP mode or Socket Mode, in the caller's event loop."""

    name = PLATFORM

    def __init__(self, app: Core, settings: Settings, tuning: Tuning | None = None) -> None:
        self.core = app
        self.settings = settings
        self.section = slack_settings(settings)
        self.tuning = tuning or Tuning()
        self.config: SlackConfig = slack_config(settings)
        self.api = SlackApi(self.config.api_base_url, self.tuning, app.metrics)
        self.installations: InstallationStore | None = None
        self.states: OAuthStateStore | None = None
        if self.config.oauth:
            assert self.config.client_secret is not None
            records = app.records(PLATFORM)
            self.installations = InstallationStore(
                records,
                codec_for(self.config.client_secret),
                client_id=self.config.client_id,
                monotonic=self.tuning.monotonic,
            )
            self.states = OAuthStateStore(records, now=app.clock.now)
        elif self.section.client_id:
            log.info("slack.client_id is set without client_secret: single-workspace install")
        self.workspaces = Workspaces(self.api, self.config, self.installations)
        self.directory = Directory(
            self.section.admins, self.tuning.directory_ttl_s, self.tuning.monotonic
        )
        self.publisher = SlackPublisher(
            self.workspaces, self.section.moderator_channel, self.section.moderator_channels
        )
        self.reconciler = SlackReconciler(
            app,
            self.workspaces,
            self.tuning.reconcile_interval_s,
            self.tuning.sleep,
            self.tuning.monotonic,
        )
        self.work: Background | None = None
        #: the read-back after start: stopped first at stop (the next start reads again)
        self._reading_back: asyncio.Task[None] | None = None
        self.http: HttpRunner | None = None
        self.socket: SocketRunner | None = None

    @property
    def port(self) -> int | None:
        """The HTTP port actually bound (useful with port 0)."""
        return self.http.port if self.http else None

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self.stop()  # no half-started server or open session left behind
            raise

    async def _start(self) -> None:
        self.work = self.core.task_group(PLATFORM, self.tuning.max_concurrent_work)
        await self.workspaces.start()
        if self.workspaces.home_team:
            # The single workspace's token works: the bot is there.
            await self.core.communities_present(PLATFORM, [self.workspaces.home_team])
        if self.installations is not None:
            self.installations.on_installed = self._installed
        handlers = SlackHandlers(
            self.core,
            self.settings,
            self.api,
            self.workspaces,
            self.directory,
            self.work,
            self.tuning,
            self.installations,
        )
        bolt = build_bolt(
            self.config,
            self.api,
            public_url=self.section.public_url,
            installations=self.installations,
            states=self.states,
            before_authorize=handlers.reactions.before_authorize,
        )
        if capture_emoji(self.settings.capture.reaction):
            handlers.reactions.capture = ReactionCapture(
                self.core,
                self.workspaces,
                self.directory,
                self.work,
                self.publisher,
                self.settings.capture.reaction,
                int(self.settings.limits.title_max),
            )
        handlers.register(bolt)
        self.core.add_publisher(PLATFORM, self.publisher)
        self.core.add_reconciler(PLATFORM, self.reconciler)
        acked = self.core.metrics.ack_seconds.labels(PLATFORM).observe
        if self.config.mode == "socket":
            assert self.config.app_token is not None
            self.socket = SocketRunner(
                bolt,
                self.config.app_token,
                self.api.client(None),
                self.tuning.socket_ping_interval_s,
                now=self.core.clock.now,
                on_ack=acked,
            )
            await self.socket.start()
        else:
            self.http = HttpRunner(
                bolt,
                self.section.host,
                self.section.port,
                now=self.core.clock.now,
                on_ack=acked,
            )
            await self.http.start()
        if self.tuning.reconcile_on_start:
            self._reading_back = self.work.spawn(self.reconcile_recent(), "reconcile after start")

    async def _installed(self, team_id: str) -> None:
        """A workspace installed the app (again): it is not "left" any more."""
        await self.core.communities_present(PLATFORM, [team_id])

    async def connected(self) -> bool:
        """Serving HTTP, or connected over Socket Mode."""
        if self.socket is not None:
            return await self.socket.connected()
        return self.http is not None and self.http.port is not None

    async def reconcile_recent(self) -> None:
        """Votes cast while the bot was down: read back the idea posts of running
        challenges and of those closed in the last `slack.reconcile_days` days, in the
        workspaces of this process's shard (`slack.workspace_shard`)."""
        await self.core.catch_up(
            PLATFORM,
            timedelta(days=self.section.reconcile_days),
            lambda community: self.section.reads_back(community.external_id),
        )

    async def drain(self) -> None:
        """Wait for every acked request's work (tests and orderly stops)."""
        if self.work is not None:
            await self.work.drain()

    async def stop(self) -> None:
        """Stop taking requests, let the work in progress finish, close the connections."""
        if self.socket is not None:
            await self.socket.stop()
            self.socket = None
        if self.http is not None:
            await self.http.stop()
            self.http = None
        if self._reading_back is not None:
            # Paced at Tier 3, it may have many minutes to go: not a reason to keep a stop
            # waiting (nor to be killed at the end of a container's grace period).
            self._reading_back.cancel()
            self._reading_back = None
        if self.work is not None:
            await self.work.close(STOP_GRACE_S)
            # Badge messages the core is still announcing need Slack too.
            try:
                await asyncio.wait_for(self.core.drain(), STOP_GRACE_S)
            except TimeoutError:
                log.warning("stopping Slack with work of the core still queued")
        await self.api.close()
        log.info("Slack stopped")
