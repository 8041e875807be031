"""A fake Discord on 127.0.0.1: the REST API and the gateway, enough for discord.py 2.x.

It keeps the ground truth (guilds, messages, who reacts to what), records every request,
sends gateway events with sequence numbers, supports RESUME (replaying what a session
missed) and failed resumes, and can inject faults: 429s with `retry_after`, 5xx
answers, requests that hang, requests that are applied and then hang, and reactor lists
answered late (`slow_list`), taken when asked for and sent when the test says.

Tests and the benchmark drive it from the same event loop as the bot, or from its own
process (`python -m tests.discord.fake`), and wait on its state with `wait_until`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from tests.discord import payloads as p

Json = dict[str, Any]

EPHEMERAL = 1 << 6
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_GUILD_MESSAGE_REACTIONS = 1 << 10
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)

#: Option types by Python value, when the command was not synced (so its types are unknown).
_PY_OPTION_TYPES = {bool: 5, int: 4, str: 3}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float
    files: list[str] = field(default_factory=list)
    status: int = 0


@dataclass
class Fault:
    """Answer matching requests with `status` (`count` times), or hang.

    `hang="before"` never answers; `hang="after"` applies the request, then never answers.
    """

    method: str
    pattern: str
    status: int = 500
    count: int = 1
    retry_after: float = 0.01
    hang: str | None = None
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (
            self.count > 0 and method == self.method and re.search(self.pattern, path) is not None
        )


@dataclass
class SlowList:
    """A reactor list the fake answers late: it is taken when the request arrives (`asked`
    is set then), and sent only once the test sets `release`."""

    message_id: int
    emoji: str
    asked: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    #: the user ids the list held when it was taken
    taken: list[int] | None = None


@dataclass
class Person:
    """A Discord user and their membership of one guild."""

    id: int
    name: str
    guild_id: int
    roles: list[int] = field(default_factory=list)
    permissions: int = p.MEMBER_PERMISSIONS
    joined_at: datetime = field(default_factory=lambda: datetime(2024, 1, 1, tzinfo=UTC))
    bot: bool = False
    nick: str | None = None
    #: the language of their Discord client, sent with each of their interactions
    locale: str = "en-US"

    @property
    def user(self) -> Json:
        return p.user(self.id, self.name, bot=self.bot)

    @property
    def member(self) -> Json:
        return p.member(self.user, roles=self.roles, joined_at=self.joined_at, nick=self.nick)

    def member_with_permissions(self) -> Json:
        return p.member(
            self.user,
            roles=self.roles,
            joined_at=self.joined_at,
            nick=self.nick,
            permissions=self.permissions,
        )


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    channels: dict[int, Json] = field(default_factory=dict)
    roles: dict[int, Json] = field(default_factory=dict)

    def payload(self, bot_member: Json) -> Json:
        return p.guild(
            self.id,
            self.name,
            owner_id=self.owner_id,
            channels=list(self.channels.values()),
            roles=list(self.roles.values()),
            members=[bot_member],
        )


@dataclass
class Session:
    id: str
    shard: tuple[int, int] | None
    intents: int
    seq: int = 0
    events: list[tuple[int, str, Json]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None
    resumable: bool = True
    identified_at: float = 0.0

    def wants(self, guild_id: int | None) -> bool:
        if self.shard is None or guild_id is None:
            return True
        shard_id, count = self.shard
        return (guild_id >> 22) % count == shard_id


@dataclass
class InteractionRecord:
    """One interaction sent to the bot, and everything the bot answered."""

    id: int
    token: str
    payload: Json
    sent_at: float
    callback: Json | None = None
    callback_at: float | None = None
    edits: list[Json] = field(default_factory=list)
    followups: list[Json] = field(default_factory=list)
    answered_at: float | None = None
    acked: asyncio.Event = field(default_factory=asyncio.Event)
    answered: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def data(self) -> Json:
        """The data of the bot's first answer (a modal, autocomplete choices…)."""
        assert self.callback is not None, "the bot has not answered yet"
        data: Json = self.callback.get("data") or {}
        return data

    @property
    def callback_type(self) -> int | None:
        return None if self.callback is None else int(self.callback["type"])

    @property
    def ack_latency(self) -> float:
        assert self.callback_at is not None
        return self.callback_at - self.sent_at

    @property
    def messages(self) -> list[Json]:
        """Every message body the bot sent in answer, in order."""
        out: list[Json] = []
        if self.callback and self.callback.get("type") in (4, 7) and self.callback.get("data"):
            out.append(self.callback["data"])
        return out + self.edits + self.followups

    @property
    def final(self) -> Json:
        """The latest message body (edits of the original included)."""
        assert self.messages, "the bot has not answered yet"
        return self.messages[-1]

    @property
    def embed(self) -> Json:
        embeds = self.final.get("embeds") or []
        assert embeds, f"no embed in {self.final}"
        return dict(embeds[0])

    def text(self) -> str:
        """Every string of every embed in the answers, for assertions."""
        return "\n".join(embed_text(e) for m in self.messages for e in m.get("embeds") or [])


def embed_text(embed: Json) -> str:
    parts = [embed.get("title", ""), embed.get("description", "")]
    parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields", [])]
    parts.append((embed.get("footer") or {}).get("text", ""))
    return "\n".join(x for x in parts if x)


_LOCALISATIONS = ("name_localizations", "description_localizations")


def _unlocalised(command: Json) -> Json:
    """A registered command as Discord lists it without `with_localizations=true`."""
    out = {k: v for k, v in command.items() if k not in _LOCALISATIONS}
    if "options" in command:
        out["options"] = [_unlocalised(o) for o in command["options"]]
    return out


def _json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    # Exactly `application/json`: aiohttp's json_response adds a charset that breaks login.
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(body=json.dumps(data).encode(), status=status, headers=all_headers)


def _error(status: int, code: int, message: str) -> web.Response:
    return _json_response({"code": code, "message": message}, status=status)


def emoji_key(text: str) -> str:
    """A route's emoji (`👍`, `name:id`, `<:name:id>`) as the fake's key."""
    text = urllib.parse.unquote(text)
    if text.startswith("<") and text.endswith(">"):
        _, name, emoji_id = text[1:-1].split(":")
        return f"{name}:{emoji_id}"
    return text


def emoji_text(key: str) -> str:
    """The fake's key back as the text form used in payload factories."""
    if ":" in key:
        name, emoji_id = key.split(":")
        return f"<:{name}:{emoji_id}>"
    return key


class FakeDiscord:
    """REST under `/api/v10` and the gateway under `/gateway/`, on an ephemeral port."""

    def __init__(self, *, allow_privileged_intents: bool = False) -> None:
        self.app_id = p.snowflake(datetime(2023, 1, 1, tzinfo=UTC))
        self.bot_id = p.snowflake(datetime(2023, 1, 1, tzinfo=UTC))
        self.owner = p.user(p.snowflake(datetime(2020, 1, 1, tzinfo=UTC)), "Owner")
        self.allow_privileged_intents = allow_privileged_intents
        self.guilds: dict[int, Guild] = {}
        self.people: dict[tuple[int, int], Person] = {}
        self.messages: dict[int, Json] = {}
        self.deleted: set[int] = set()
        self.reactions: dict[tuple[int, str], list[int]] = {}
        self.slow_lists: list[SlowList] = []
        self.nonces: dict[tuple[int, str], int] = {}
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.commands: dict[str, list[Json]] = {}
        self.interactions: dict[int, InteractionRecord] = {}
        self._by_token: dict[str, InteractionRecord] = {}
        self.sessions: dict[str, Session] = {}
        self.identifies: list[Json] = []
        self.resumes: list[Json] = []
        self.role_grants: list[tuple[int, int, int]] = []
        #: threads (on messages and forum posts), by id: they are channels of their guild
        self.threads: dict[int, Json] = {}
        #: thread id -> the ids of its members
        self.thread_members: dict[int, list[int]] = {}
        #: DM channel id -> its user; (user id, message) of each direct message the bot sent
        self.dm_channels: dict[int, int] = {}
        self.dms: list[tuple[int, Json]] = []
        #: (user id, message body, file names) of each direct message the bot sent
        self.direct_messages: list[tuple[int, Json, list[str]]] = []
        #: users whose direct messages are closed to the bot (Discord answers 50007)
        self.closed_dms: set[int] = set()
        self.forbid_role_grants = False
        self.shard_count = 1
        self.record_requests = True
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._changed: asyncio.Condition | None = None
        self._closing = asyncio.Event()
        self._sockets: set[web.WebSocketResponse] = set()
        self._closed_by_us: set[web.WebSocketResponse] = set()
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self, port: int = 0) -> FakeDiscord:
        self._changed = asyncio.Condition()
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/gateway/", self._gateway)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port, backlog=2048)
        await site.start()
        server: Any = site._server
        assert server is not None and server.sockets
        self.port = int(server.sockets[0].getsockname()[1])
        return self

    async def stop(self) -> None:
        self._closing.set()
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway/"

    # -- world -------------------------------------------------------------------------

    def add_guild(
        self, name: str, channels: Iterable[str] = ("ideas",), roles: Iterable[str] = ()
    ) -> Guild:
        guild_id = p.snowflake()
        g = Guild(guild_id, name, owner_id=int(self.owner["id"]))
        g.roles[guild_id] = p.role(
            guild_id, "@everyone", permissions=p.MEMBER_PERMISSIONS, position=0
        )
        for n, channel in enumerate(channels):
            self.add_channel(g, channel, position=n)
        for role_name in roles:
            self.add_role(g, role_name)
        self.guilds[guild_id] = g
        self.people[(guild_id, self.bot_id)] = Person(
            self.bot_id, "Cocreate", guild_id, bot=True, permissions=p.MEMBER_PERMISSIONS
        )
        return g

    def add_channel(self, g: Guild, name: str, position: int = 0) -> int:
        channel_id = p.snowflake()
        g.channels[channel_id] = p.text_channel(channel_id, g.id, name, position=position)
        return channel_id

    def add_role(self, g: Guild, name: str, permissions: int = 0) -> int:
        role_id = p.snowflake()
        g.roles[role_id] = p.role(role_id, name, permissions=permissions, position=len(g.roles))
        return role_id

    def channel(self, g: Guild, name: str) -> int:
        for channel_id, data in g.channels.items():
            if data["name"] == name:
                return channel_id
        raise KeyError(name)

    def role_id(self, g: Guild, name: str) -> int:
        for role_id, data in g.roles.items():
            if data["name"] == name:
                return role_id
        raise KeyError(name)

    def add_person(
        self,
        g: Guild,
        name: str,
        *,
        moderator: bool = False,
        roles: Iterable[str] = (),
        created_at: datetime | None = None,
        joined_at: datetime | None = None,
        bot: bool = False,
    ) -> Person:
        user_id = p.snowflake(created_at or datetime(2021, 6, 1, tzinfo=UTC))
        perms = p.MEMBER_PERMISSIONS | (p.MANAGE_GUILD if moderator else 0)
        person = Person(
            user_id,
            name,
            g.id,
            roles=[self.role_id(g, r) for r in roles],
            permissions=perms,
            joined_at=joined_at or datetime(2024, 1, 1, tzinfo=UTC),
            bot=bot,
        )
        self.people[(g.id, user_id)] = person
        return person

    def bot_person(self, g: Guild) -> Person:
        return self.people[(g.id, self.bot_id)]

    @property
    def bot_user(self) -> Json:
        return p.user(self.bot_id, "Cocreate", bot=True)

    # -- waiting -----------------------------------------------------------------------

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until `predicate()` is truthy (re-checked whenever the fake sees traffic)."""
        assert self._changed is not None
        async with asyncio.timeout(timeout), self._changed:
            return await self._changed.wait_for(predicate)

    # -- REST --------------------------------------------------------------------------

    def requests_to(self, method: str, pattern: str) -> list[Request]:
        return [
            r
            for r in self.requests
            if r.method == method and re.search(pattern, r.path) is not None
        ]

    def message_bodies(self) -> list[Json]:
        """Every body that creates or edits a message, in order (posts, replies, edits)."""
        out: list[Json] = []
        for r in self.requests:
            if not isinstance(r.body, dict):
                continue
            if r.method in ("POST", "PATCH") and (
                re.search(r"^/channels/\d+/messages(/\d+)?$", r.path)
                or r.path.startswith("/webhooks/")
            ):
                out.append(r.body)
            elif r.path.endswith("/callback") and r.body.get("type") in (4, 7):
                out.append(r.body.get("data") or {})
        return out

    async def _read_body(self, request: web.Request) -> tuple[Any, list[str]]:
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            body: Any = None
            files: list[str] = []
            while True:
                part = await reader.next()
                if part is None:
                    break
                if part.name == "payload_json":  # type: ignore[union-attr]
                    body = json.loads(await part.text())  # type: ignore[union-attr]
                else:
                    files.append(part.filename or "")  # type: ignore[union-attr]
                    await part.read()  # type: ignore[union-attr]
            return body, files
        raw = await request.read()
        if not raw:
            return None, []
        try:
            return json.loads(raw), []
        except ValueError:
            return raw.decode(errors="replace"), []

    async def _rest(self, request: web.Request) -> Any:
        path = "/" + request.match_info["tail"]
        body, files = await self._read_body(request)
        record = Request(
            request.method, path, dict(request.query), body, time.perf_counter(), files
        )
        if self.record_requests:
            self.requests.append(record)
        for fault in self.faults:
            if fault.matches(request.method, path):
                fault.count -= 1
                fault.hits += 1
                if fault.hang == "before":
                    await self._notify()
                    await self._closing.wait()
                    return _error(503, 0, "gone")
                if fault.hang == "after":
                    await self._route(request.method, path, record, request)
                    await self._notify()
                    await self._closing.wait()
                    return _error(503, 0, "gone")
                await self._notify()
                record.status = fault.status
                if fault.status == 429:
                    return _json_response(
                        {
                            "message": "You are being rate limited.",
                            "retry_after": fault.retry_after,
                            "global": False,
                        },
                        status=429,
                        headers={
                            "Via": "1.1 google",
                            "Retry-After": str(max(1, int(fault.retry_after))),
                            "X-RateLimit-Scope": "user",
                        },
                    )
                return _error(fault.status, 0, f"{fault.status}: Server Error")
        response = await self._route(request.method, path, record, request)
        record.status = response.status
        await self._notify()
        return response

    async def _route(
        self, method: str, path: str, record: Request, request: web.Request
    ) -> web.Response:
        body = record.body
        m: re.Match[str] | None
        if method == "GET" and path == "/users/@me":
            return _json_response(self.bot_user)
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json_response(p.application(self.app_id, self.owner))
        if method == "GET" and path in ("/gateway", "/gateway/bot"):
            return _json_response(
                {
                    "url": f"ws://127.0.0.1:{self.port}/gateway/",
                    "shards": self.shard_count,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 1000,
                        "reset_after": 0,
                        "max_concurrency": 1,
                    },
                }
            )
        if m := re.fullmatch(r"/applications/(\d+)(?:/guilds/(\d+))?/commands", path):
            scope = m.group(2) or "global"
            if method == "PUT":
                self.commands[scope] = [
                    {
                        **c,
                        "id": str(p.snowflake()),
                        "application_id": str(self.app_id),
                        "version": str(p.snowflake()),
                        "type": c.get("type", 1),
                        # Discord answers a context menu with an empty description.
                        "description": c.get("description", ""),
                        **({"guild_id": scope} if scope != "global" else {}),
                    }
                    for c in body or []
                ]
            registered = self.commands.get(scope, [])
            if method == "GET" and record.query.get("with_localizations") != "true":
                # Without `with_localizations`, Discord leaves the localisations out.
                registered = [_unlocalised(c) for c in registered]
            return _json_response(registered)
        if m := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path):
            return self._interaction_callback(int(m.group(1)), body)
        if m := re.fullmatch(r"/webhooks/(\d+)/([^/]+)(?:/messages/(@original|\d+))?", path):
            return self._webhook(method, m.group(2), m.group(3), body)
        if method == "POST" and path == "/users/@me/channels":
            return self._open_dm(body)
        if (
            m := re.fullmatch(r"/channels/(\d+)/messages/(\d+)/threads", path)
        ) and method == "POST":
            return self._thread_on_message(int(m.group(1)), int(m.group(2)), body)
        if (m := re.fullmatch(r"/channels/(\d+)/threads", path)) and method == "POST":
            return self._forum_post(int(m.group(1)), body)
        if (m := re.fullmatch(r"/channels/(\d+)/thread-members", path)) and method == "GET":
            return self._thread_members(int(m.group(1)))
        if (m := re.fullmatch(r"/channels/(\d+)", path)) and method == "PATCH":
            return self._edit_channel(int(m.group(1)), body)
        if m := re.fullmatch(r"/channels/(\d+)", path):
            return self._channel(int(m.group(1)))
        if (m := re.fullmatch(r"/channels/(\d+)/messages", path)) and method == "POST":
            if int(m.group(1)) in self.dm_channels:
                return self._direct_message(int(m.group(1)), body, record.files)
            return self._create_message(int(m.group(1)), body)
        if m := re.fullmatch(r"/channels/(\d+)/messages/(\d+)", path):
            return self._message(method, int(m.group(1)), int(m.group(2)), body)
        if m := re.fullmatch(
            r"/channels/(\d+)/messages/(\d+)/reactions/([^/]+)(?:/(@me|\d+))?", path
        ):
            return await self._reaction_route(
                method, int(m.group(1)), int(m.group(2)), m.group(3), m.group(4), record
            )
        if m := re.fullmatch(r"/guilds/(\d+)/members/(\d+)/roles/(\d+)", path):
            return self._role_grant(method, int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return _error(404, 0, f"404: Not Found ({method} {path})")

    # -- channels and messages ---------------------------------------------------------

    def _find_channel(self, channel_id: int) -> tuple[Guild, Json] | None:
        for g in self.guilds.values():
            if channel_id in g.channels:
                return g, g.channels[channel_id]
        thread = self.threads.get(channel_id)
        if thread is not None:
            return self.guilds[int(thread["guild_id"])], thread
        return None

    # -- threads, forums and direct messages ---------------------------------------------

    def add_forum(self, g: Guild, name: str, tags: Iterable[str] = ()) -> int:
        """A forum channel: each post in it is a thread with a starter message."""
        channel_id = self.add_channel(g, name)
        g.channels[channel_id].update(
            {
                "type": 15,
                "available_tags": [
                    {"id": str(p.snowflake()), "name": t, "moderated": True,
                     "emoji_id": None, "emoji_name": None}
                    for t in tags
                ],
                "default_reaction_emoji": None,
                "default_thread_rate_limit_per_user": 0,
                "default_sort_order": None,
                "default_forum_layout": 0,
            }
        )  # fmt: skip
        return channel_id

    def _thread(self, thread_id: int, parent: Json, name: str, tags: list[str]) -> Json:
        now = p.iso(datetime.now(UTC))
        data: Json = {
            "id": str(thread_id),
            "type": 11,
            "guild_id": parent["guild_id"],
            "parent_id": parent["id"],
            "owner_id": str(self.bot_id),
            "name": name,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "rate_limit_per_user": 0,
            "flags": 0,
            "last_message_id": None,
            "applied_tags": tags,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 10080,
                "archive_timestamp": now,
                "locked": False,
                "create_timestamp": now,
            },
        }
        self.threads[thread_id] = data
        self.thread_members[thread_id] = [self.bot_id]
        return data

    def _thread_on_message(self, channel_id: int, message_id: int, body: Json) -> web.Response:
        found = self._find_channel(channel_id)
        if found is None or message_id not in self.messages:
            return _error(404, 10008, "Unknown Message")
        if message_id in self.threads:
            return _error(400, 160004, "A thread has already been created for this message")
        name = str(body.get("name") or "")
        if not 1 <= len(name) <= 100:
            return _error(400, 50035, "Invalid Form Body (name)")
        return _json_response(self._thread(message_id, found[1], name, []))

    def _forum_post(self, forum_id: int, body: Json) -> web.Response:
        found = self._find_channel(forum_id)
        if found is None or found[1].get("type") != 15:
            return _error(400, 50024, "Cannot execute action on this channel type")
        known = {t["id"] for t in found[1].get("available_tags", [])}
        tags = [str(t) for t in body.get("applied_tags") or []]
        if not set(tags) <= known:
            return _error(400, 50035, "Invalid Form Body (applied_tags)")
        thread_id = p.snowflake()
        thread = self._thread(thread_id, found[1], str(body.get("name") or ""), tags)
        message = body.get("message") or {}
        data = p.message(
            thread_id,
            thread_id,
            self.bot_user,
            guild_id=found[0].id,
            content=message.get("content") or "",
            embeds=message.get("embeds") or [],
            components=[],
        )
        self.messages[thread_id] = data
        return _json_response({**thread, "message": data})

    def _edit_channel(self, channel_id: int, body: Json) -> web.Response:
        found = self._find_channel(channel_id)
        if found is None:
            return _error(404, 10003, "Unknown Channel")
        data = found[1]
        if "available_tags" in body and data.get("type") == 15:
            data["available_tags"] = [
                {
                    **t,
                    "id": str(t.get("id") or p.snowflake()),
                    "moderated": t.get("moderated", False),
                }
                for t in body["available_tags"]
            ]
        if "applied_tags" in body and channel_id in self.threads:
            parent = self._find_channel(int(data["parent_id"]))
            known = {t["id"] for t in (parent[1] if parent else {}).get("available_tags", [])}
            tags = [str(t) for t in body["applied_tags"]]
            if not set(tags) <= known:
                return _error(400, 50035, "Invalid Form Body (applied_tags)")
            data["applied_tags"] = tags
        if body.get("name"):
            data["name"] = body["name"]
        return _json_response(data)

    def _thread_members(self, thread_id: int) -> web.Response:
        if thread_id not in self.threads:
            return _error(404, 10003, "Unknown Channel")
        now = p.iso(datetime.now(UTC))
        return _json_response(
            [
                {"id": str(thread_id), "user_id": str(u), "join_timestamp": now, "flags": 0}
                for u in self.thread_members[thread_id]
            ]
        )

    def reply_in_thread(self, thread_id: int, person: Person, text: str) -> None:
        """A member replies in a thread: Discord counts it and adds them to its members (the
        bot is told nothing of what was said)."""
        thread = self.threads[thread_id]
        self._create_message(thread_id, {"content": text}, author=person.user)
        if person.id not in self.thread_members[thread_id]:
            self.thread_members[thread_id].append(person.id)
            thread["member_count"] = len(self.thread_members[thread_id])

    def guild_channel(self, g: Guild, channel_id: int) -> Json:
        return g.channels[channel_id]

    def tag_names(self, thread_id: int) -> list[str]:
        thread = self.threads[thread_id]
        parent = self._find_channel(int(thread["parent_id"]))
        names = {
            t["id"]: t["name"] for t in (parent[1] if parent else {}).get("available_tags", [])
        }
        return [names[t] for t in thread["applied_tags"]]

    def thread_posts(self, thread_id: int) -> list[Json]:
        """The bot's messages in a thread (not its starter message)."""
        return [
            m for m in self.posts_in(thread_id)
            if int(m["id"]) != thread_id and m["author"]["id"] == str(self.bot_id)
        ]  # fmt: skip

    def _open_dm(self, body: Json) -> web.Response:
        user_id = int(body["recipient_id"])
        person = next((x for (_, uid), x in self.people.items() if uid == user_id), None)
        if person is None:
            return _error(404, 10013, "Unknown User")
        channel_id = next((c for c, u in self.dm_channels.items() if u == user_id), None)
        if channel_id is None:
            channel_id = p.snowflake()
            self.dm_channels[channel_id] = user_id
        return _json_response(
            {"id": str(channel_id), "type": 1, "recipients": [person.user],
             "last_message_id": None, "flags": 0}
        )  # fmt: skip

    def _direct_message(self, channel_id: int, body: Json, files: list[str]) -> web.Response:
        user_id = self.dm_channels[channel_id]
        if user_id in self.closed_dms:
            return _error(403, 50007, "Cannot send messages to this user")
        self.direct_messages.append((user_id, body, list(files)))
        data = p.message(
            p.snowflake(),
            channel_id,
            self.bot_user,
            guild_id=None,
            content=body.get("content") or "",
            embeds=body.get("embeds") or [],
            components=body.get("components") or [],
        )
        self.dms.append((user_id, data))
        self.messages[int(data["id"])] = data  # its buttons can be clicked, it can be edited
        return _json_response(data)

    def dm_messages(self, person: Person) -> list[Json]:
        """The direct messages the bot sent this person, as Discord keeps them."""
        return [self.messages.get(int(m["id"]), m) for u, m in self.dms if u == person.id]

    def _dm_channel_ref(self, channel_id: int) -> Json:
        user_id = self.dm_channels[channel_id]
        person = next(x for (_, uid), x in self.people.items() if uid == user_id)
        return {"id": str(channel_id), "type": 1, "recipients": [person.user], "flags": 0}

    def dms_to(self, person: Person) -> list[str]:
        """The titles of the embeds of the direct messages the bot sent this person."""
        return [
            str((m.get("embeds") or [{}])[0].get("title", ""))
            for u, m in self.dms
            if u == person.id
        ]

    def _channel(self, channel_id: int) -> web.Response:
        found = self._find_channel(channel_id)
        if found is None:
            return _error(404, 10003, "Unknown Channel")
        return _json_response(found[1])

    def _create_message(
        self, channel_id: int, body: Json, *, author: Json | None = None
    ) -> web.Response:
        found = self._find_channel(channel_id)
        if found is None:
            return _error(404, 10003, "Unknown Channel")
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            existing = self.nonces.get((channel_id, str(nonce)))
            if existing is not None and existing in self.messages:
                return _json_response(self.messages[existing])
        message_id = p.snowflake()
        data = p.message(
            message_id,
            channel_id,
            author or self.bot_user,
            guild_id=found[0].id,
            content=body.get("content") or "",
            embeds=body.get("embeds") or [],
            components=body.get("components") or [],
            nonce=str(nonce) if nonce is not None else None,
        )
        self.messages[message_id] = data
        if nonce is not None:
            self.nonces[(channel_id, str(nonce))] = message_id
        thread = self.threads.get(channel_id)
        if thread is not None:  # Discord counts every message in a thread, the bot's too
            thread["message_count"] += 1
            thread["total_message_sent"] += 1
        return _json_response(data)

    async def remove_bot(self, guild_id: int) -> list[tuple[Session, int]]:
        """The bot is removed from a guild (kicked, or the guild deleted): GUILD_DELETE."""
        self.guilds.pop(guild_id, None)
        return await self.dispatch("GUILD_DELETE", {"id": str(guild_id)}, guild_id=guild_id)

    async def add_bot(self, g: Guild) -> list[tuple[Session, int]]:
        """The bot joins a guild (again): GUILD_CREATE to the sessions that want it."""
        self.guilds[g.id] = g
        self.people[(g.id, self.bot_id)] = Person(
            self.bot_id, "Cocreate", g.id, bot=True, permissions=p.MEMBER_PERMISSIONS
        )
        payload = g.payload(self.bot_person(g).member)
        payload.pop("unavailable", None)  # a guild joined, not one coming back from an outage
        return await self.dispatch("GUILD_CREATE", payload, guild_id=g.id)

    def _message(self, method: str, channel_id: int, message_id: int, body: Json) -> web.Response:
        data = self.messages.get(message_id)
        if data is None or int(data["channel_id"]) != channel_id:
            return _error(404, 10008, "Unknown Message")
        if method == "GET":
            return _json_response({**data, "reactions": self.message_reactions(message_id)})
        if method == "PATCH":
            for key in ("content", "embeds", "components", "flags"):
                if body and key in body and body[key] is not None:
                    data[key] = body[key]
            data["edited_timestamp"] = p.iso(datetime.now(UTC))
            return _json_response(data)
        if method == "DELETE":
            self.delete_message(message_id)
            return web.Response(status=204)
        return _error(405, 0, "405: Method Not Allowed")

    def delete_message(self, message_id: int) -> None:
        """A moderator deletes a message by hand: it and its reactions are gone."""
        self.messages.pop(message_id, None)
        self.deleted.add(message_id)
        for key in [k for k in self.reactions if k[0] == message_id]:
            del self.reactions[key]

    def posts_in(self, channel_id: int) -> list[Json]:
        return [m for m in self.messages.values() if int(m["channel_id"]) == channel_id]

    def idea_message(self, number: int) -> Json:
        """The bot's post of idea #`number` (its embed title starts with "💡 #n ·")."""
        for data in self.messages.values():
            for embed in data.get("embeds") or []:
                if str(embed.get("title", "")).startswith(f"💡 #{number} ·"):
                    return data
        raise AssertionError(f"no post of idea #{number}")

    # -- reactions ---------------------------------------------------------------------

    def reactors(self, message_id: int, emoji: str) -> list[int]:
        return list(self.reactions.get((message_id, emoji_key(emoji)), []))

    def message_reactions(self, message_id: int) -> list[Json]:
        """The message's `reactions` array: each emoji (each skin tone is its own) in the
        order first added, with its count and whether the bot reacts with it."""
        return [
            {
                "count": len(users),
                "count_details": {"burst": 0, "normal": len(users)},
                "me": self.bot_id in users,
                "me_burst": False,
                "burst_me": False,
                "burst_count": 0,
                "burst_colors": [],
                "emoji": p.partial_emoji(emoji_text(key)),
            }
            for (message, key), users in self.reactions.items()
            if message == message_id and users
        ]

    def slow_list(self, message_id: int, emoji: str) -> SlowList:
        """The next request for this reactor list is answered only when the test releases
        it, with the list as it was when the request arrived."""
        slow = SlowList(message_id, emoji_key(emoji))
        self.slow_lists.append(slow)
        return slow

    async def _reaction_route(
        self,
        method: str,
        channel_id: int,
        message_id: int,
        emoji: str,
        who: str | None,
        record: Request,
    ) -> web.Response:
        if message_id not in self.messages:
            return _error(404, 10008, "Unknown Message")
        key = emoji_key(emoji)
        if method == "GET" and who is None:
            limit = int(record.query.get("limit", 25))
            after = int(record.query.get("after", 0))
            users = sorted(u for u in self.reactions.get((message_id, key), []) if u > after)
            guild_id = int(self.messages[message_id].get("guild_id", 0))
            out = []
            for user_id in users[:limit]:
                person = self.people.get((guild_id, user_id))
                out.append(person.user if person else p.user(user_id, f"user{user_id}"))
            slow = next(
                (s for s in self.slow_lists if (s.message_id, s.emoji) == (message_id, key)), None
            )
            if slow is not None:
                self.slow_lists.remove(slow)
                slow.taken = users[:limit]
                slow.asked.set()
                await self._notify()
                release = asyncio.create_task(slow.release.wait())
                closing = asyncio.create_task(self._closing.wait())
                await asyncio.wait({release, closing}, return_when=asyncio.FIRST_COMPLETED)
                release.cancel()
                closing.cancel()
            return _json_response(out)
        if method == "PUT" and who == "@me":
            await self.react(self.bot_id, message_id, emoji_text(key))
            return web.Response(status=204)
        if method == "DELETE" and who == "@me":
            await self.unreact(self.bot_id, message_id, emoji_text(key))
            return web.Response(status=204)
        return _error(405, 0, "405: Method Not Allowed")

    async def react(
        self, user_id: int, message_id: int, emoji: str, *, deliver: bool = True
    ) -> list[tuple[Session, int]]:
        """`user_id` adds a reaction; the gateway tells connected sessions unless not `deliver`."""
        key = (message_id, emoji_key(emoji))
        users = self.reactions.setdefault(key, [])
        if user_id in users:
            return []
        users.append(user_id)
        data = self.messages[message_id]
        guild_id = int(data["guild_id"])
        person = self.people[(guild_id, user_id)]
        if not deliver:
            return []
        return await self.dispatch(
            "MESSAGE_REACTION_ADD",
            p.reaction_add(
                guild_id=guild_id,
                channel_id=int(data["channel_id"]),
                message_id=message_id,
                member_payload=person.member,
                emoji=emoji,
                message_author_id=int(data["author"]["id"]),
            ),
            guild_id=guild_id,
            intent=INTENT_GUILD_MESSAGE_REACTIONS,
        )

    async def unreact(
        self, user_id: int, message_id: int, emoji: str, *, deliver: bool = True
    ) -> list[tuple[Session, int]]:
        key = (message_id, emoji_key(emoji))
        users = self.reactions.get(key, [])
        if user_id not in users:
            return []
        users.remove(user_id)
        data = self.messages[message_id]
        guild_id = int(data["guild_id"])
        if not deliver:
            return []
        return await self.dispatch(
            "MESSAGE_REACTION_REMOVE",
            p.reaction_remove(
                guild_id=guild_id,
                channel_id=int(data["channel_id"]),
                message_id=message_id,
                user_id=user_id,
                emoji=emoji,
            ),
            guild_id=guild_id,
            intent=INTENT_GUILD_MESSAGE_REACTIONS,
        )

    async def clear_reactions(self, message_id: int, emoji: str | None = None) -> None:
        """A moderator removes every reaction (or every reaction with `emoji`)."""
        data = self.messages[message_id]
        guild_id = int(data["guild_id"])
        keys = [k for k in self.reactions if k[0] == message_id]
        if emoji is not None:
            keys = [k for k in keys if k[1] == emoji_key(emoji)]
        for k in keys:
            del self.reactions[k]
        common = {
            "guild_id": guild_id,
            "channel_id": int(data["channel_id"]),
            "message_id": message_id,
        }
        if emoji is None:
            await self.dispatch(
                "MESSAGE_REACTION_REMOVE_ALL",
                p.reaction_remove_all(**common),
                guild_id=guild_id,
                intent=INTENT_GUILD_MESSAGE_REACTIONS,
            )
        else:
            await self.dispatch(
                "MESSAGE_REACTION_REMOVE_EMOJI",
                p.reaction_remove_emoji(**common, emoji=emoji),
                guild_id=guild_id,
                intent=INTENT_GUILD_MESSAGE_REACTIONS,
            )

    # -- roles -------------------------------------------------------------------------

    def _role_grant(self, method: str, guild_id: int, user_id: int, role_id: int) -> web.Response:
        if self.forbid_role_grants:
            return _error(403, 50013, "Missing Permissions")
        person = self.people.get((guild_id, user_id))
        g = self.guilds.get(guild_id)
        if person is None or g is None:
            return _error(404, 10007, "Unknown Member")
        if role_id not in g.roles:
            return _error(404, 10011, "Unknown Role")
        if method == "PUT" and role_id not in person.roles:
            person.roles.append(role_id)
            self.role_grants.append((guild_id, user_id, role_id))
        elif method == "DELETE" and role_id in person.roles:
            person.roles.remove(role_id)
        return web.Response(status=204)

    # -- interactions ------------------------------------------------------------------

    def _interaction_callback(self, interaction_id: int, body: Json) -> web.Response:
        record = self.interactions.get(interaction_id)
        if record is None:
            return _error(404, 10062, "Unknown interaction")
        if record.callback is not None:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        record.callback = body
        record.callback_at = time.perf_counter()
        record.acked.set()
        kind = int(body["type"])
        data = body.get("data") or {}
        flags = int(data.get("flags") or 0)
        message_id = p.snowflake()
        response: Json = {
            "interaction": {
                "id": str(interaction_id),
                "type": record.payload["type"],
                "response_message_id": str(message_id),
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(flags & EPHEMERAL),
            }
        }
        if kind in (4, 5, 7):
            response["resource"] = {
                "type": kind,
                "message": p.message(
                    message_id,
                    int(record.payload["channel"]["id"]),
                    self.bot_user,
                    content=data.get("content") or "",
                    embeds=data.get("embeds") or [],
                    flags=flags,
                ),
            }
        else:
            response["resource"] = {"type": kind}
        if kind in (4, 7):
            record.answered_at = time.perf_counter()
            record.answered.set()
        if kind == 8 or kind == 9:
            record.answered_at = time.perf_counter()
            record.answered.set()
        return _json_response(response)

    def _webhook(self, method: str, token: str, target: str | None, body: Json) -> web.Response:
        record = self._by_token.get(token)
        if record is None or record.callback is None:
            return _error(404, 10015, "Unknown Webhook")
        channel_id = int(record.payload["channel"]["id"])
        if method == "PATCH" and target is not None:
            record.edits.append(body)
        elif method == "POST" and target is None:
            record.followups.append(body)
        elif method == "GET":
            pass
        else:
            return _error(405, 0, "405: Method Not Allowed")
        record.answered_at = time.perf_counter()
        record.answered.set()
        data = body or {}
        return _json_response(
            p.message(
                p.snowflake(),
                channel_id,
                self.bot_user,
                content=data.get("content") or "",
                embeds=data.get("embeds") or [],
                flags=int(data.get("flags") or 0),
                webhook_id=self.app_id,
                application_id=self.app_id,
            )
        )

    def _command_types(self, guild_id: int | None, path: tuple[str, ...]) -> dict[str, int]:
        for scope in (str(guild_id), "global"):
            for command in self.commands.get(scope, []):
                if command["name"] != path[0]:
                    continue
                options = command.get("options", [])
                for name in path[1:]:  # a subcommand, or a group and its subcommand
                    sub = next((o for o in options if o["name"] == name), None)
                    options = sub.get("options", []) if sub else []
                return {o["name"]: int(o["type"]) for o in options}
        return {}

    def _command_id(self, guild_id: int | None, name: str) -> str:
        for scope in (str(guild_id), "global"):
            for command in self.commands.get(scope, []):
                if command["name"] == name:
                    return str(command["id"])
        return str(p.snowflake())

    def _channel_ref(self, g: Guild | None, channel_id: int) -> Json:
        if g is not None and channel_id in g.channels:
            return g.channels[channel_id]
        found = self._find_channel(channel_id)
        if found is not None:
            return found[1]
        return p.text_channel(channel_id, g.id if g else 0, "unknown")

    def command_payload(
        self,
        person: Person,
        channel_id: int,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        focused: str | None = None,
        kind: int = 2,
        guild: Guild | None = None,
    ) -> Json:
        g = guild or self.guilds[person.guild_id]
        path = tuple(command.split())
        types = self._command_types(g.id, path)
        resolved: Json = {}
        opts: list[Json] = []
        for name, value in (options or {}).items():
            option_type = types.get(name) or _PY_OPTION_TYPES.get(type(value), 3)
            raw: Any = value
            if isinstance(value, Person):
                raw = str(value.id)
                option_type = 6
                resolved.setdefault("users", {})[raw] = value.user
                member = value.member_with_permissions()
                member.pop("user")
                resolved.setdefault("members", {})[raw] = member
            elif option_type == 7:
                raw = str(value)
                channel = dict(self._channel_ref(g, int(value)))
                channel["permissions"] = str(p.MEMBER_PERMISSIONS)
                resolved.setdefault("channels", {})[raw] = channel
            entry: Json = {"name": name, "type": option_type, "value": raw}
            if focused == name:
                entry["focused"] = True
            opts.append(entry)
        data: Json = {"id": self._command_id(g.id, path[0]), "name": path[0], "type": 1}
        # the innermost name is the subcommand (type 1); a middle one is its group (type 2)
        for depth, name in reversed(list(enumerate(path[1:], start=1))):
            opts = [{"type": 1 if depth == len(path) - 1 else 2, "name": name, "options": opts}]
        data["options"] = opts
        if resolved:
            data["resolved"] = resolved
        data["guild_id"] = str(g.id)
        return self._interaction(kind, data, person, channel_id, guild=g)

    def _interaction(
        self,
        kind: int,
        data: Json | None,
        person: Person,
        channel_id: int,
        *,
        guild: Guild | None = None,
        message: Json | None = None,
    ) -> Json:
        g = guild or self.guilds[person.guild_id]
        interaction_id = p.snowflake()
        return p.interaction(
            interaction_id=interaction_id,
            application_id=self.app_id,
            kind=kind,
            data=data,
            guild_id=g.id,
            channel=self._channel_ref(g, channel_id),
            member_payload=person.member_with_permissions(),
            message_payload=message,
            token=f"tok-{interaction_id}-{uuid.uuid4().hex[:8]}",
            app_permissions=p.MEMBER_PERMISSIONS,
            locale=person.locale,
        )

    async def send_interaction(self, payload: Json) -> InteractionRecord:
        interaction_id = int(payload["id"])
        record = InteractionRecord(interaction_id, payload["token"], payload, time.perf_counter())
        self.interactions[interaction_id] = record
        self._by_token[record.token] = record
        guild_id = int(payload["guild_id"]) if payload.get("guild_id") else None
        record.sent_at = time.perf_counter()
        await self.dispatch("INTERACTION_CREATE", payload, guild_id=guild_id)
        return record

    async def command(
        self,
        person: Person,
        channel_id: int,
        command: str,
        options: dict[str, Any] | None = None,
        **kw: Any,
    ) -> InteractionRecord:
        """`person` runs a slash command; returns the record of what the bot answers."""
        return await self.send_interaction(
            self.command_payload(person, channel_id, command, options, **kw)
        )

    def say(self, person: Person, channel_id: int, content: str) -> Json:
        """`person` writes a message in a channel (no gateway event: the bot reads no
        messages); returns the message, as a message context menu resolves it."""
        found = self._find_channel(channel_id)
        assert found is not None, channel_id
        message_id = p.snowflake()
        data = p.message(message_id, channel_id, person.user, guild_id=found[0].id, content=content)
        data["member"] = {k: v for k, v in person.member.items() if k != "user"}
        self.messages[message_id] = data
        return data

    async def message_command(
        self, person: Person, message: Json, name: str = "Submit as idea"
    ) -> InteractionRecord:
        """`person` runs the message context-menu command `name` on `message`: the
        interaction carries the message in `resolved.messages`."""
        channel_id = int(message["channel_id"])
        g = self.guilds[person.guild_id]
        resolved = {k: v for k, v in message.items() if k != "member"}
        data: Json = {
            "id": self._command_id(g.id, name),
            "name": name,
            "type": 3,
            "target_id": message["id"],
            "resolved": {"messages": {message["id"]: resolved}},
            "guild_id": str(g.id),
        }
        return await self.send_interaction(self._interaction(2, data, person, channel_id, guild=g))

    async def autocomplete(
        self, person: Person, channel_id: int, command: str, options: dict[str, Any], focused: str
    ) -> list[Json]:
        record = await self.command(person, channel_id, command, options, focused=focused, kind=4)
        await asyncio.wait_for(record.answered.wait(), 5)
        assert record.callback is not None and record.callback["type"] == 8
        choices: list[Json] = record.callback["data"]["choices"]
        return choices

    async def submit_modal(
        self, record: InteractionRecord, values: dict[str, Any], person: Person | None = None
    ) -> InteractionRecord:
        """Fill in the modal the bot opened in answer to `record` and submit it.

        `values` maps a field's label (as shown) or custom id to its text or checkbox state.
        """
        assert record.callback is not None and record.callback["type"] == 9, record.callback
        modal = record.callback["data"]
        components: list[Json] = []
        for row in modal["components"]:
            if row["type"] == 18:
                inner = row["component"]
                label = row["label"]
            else:
                inner = row["components"][0]
                label = inner.get("label", "")
            custom_id = inner["custom_id"]
            value = values.get(label, values.get(custom_id))
            if inner["type"] == 4:
                text = "" if value is None else str(value)
                answer: Json = {"type": 4, "custom_id": custom_id, "value": text}
            else:
                answer = {"type": inner["type"], "custom_id": custom_id, "value": bool(value)}
            if row["type"] == 18:
                components.append({"type": 18, "id": row.get("id", 0), "component": answer})
            else:
                components.append({"type": 1, "components": [answer]})
        payload = record.payload
        who = person or self._person_of(payload)
        data = {"custom_id": modal["custom_id"], "components": components}
        if "guild_id" not in payload:  # a modal opened in a direct message
            return await self.send_interaction(
                self._dm_interaction(5, data, who, int(payload["channel"]["id"]))
            )
        return await self.send_interaction(
            self._interaction(
                5, data, who, int(payload["channel"]["id"]), guild=self.guilds[who.guild_id]
            )
        )

    async def click(self, person: Person, message_id: int, custom_id: str) -> InteractionRecord:
        """`person` clicks the button `custom_id` on a message the bot posted."""
        message = self.messages[message_id]
        data = {"custom_id": custom_id, "component_type": 2}
        return await self.send_interaction(
            self._interaction(3, data, person, int(message["channel_id"]), message=message)
        )

    async def click_dm(self, person: Person, message: Json, custom_id: str) -> InteractionRecord:
        """`person` clicks the button `custom_id` on a direct message the bot sent: the
        interaction has a user and no guild (nor member, roles or permissions)."""
        data = {"custom_id": custom_id, "component_type": 2}
        current = self.messages.get(int(message["id"]), message)
        payload = self._dm_interaction(3, data, person, int(current["channel_id"]), current)
        return await self.send_interaction(payload)

    def _dm_interaction(
        self, kind: int, data: Json, person: Person, channel_id: int, message: Json | None = None
    ) -> Json:
        interaction_id = p.snowflake()
        return p.interaction(
            interaction_id=interaction_id,
            application_id=self.app_id,
            kind=kind,
            data=data,
            guild_id=None,
            channel=self._dm_channel_ref(channel_id),
            user_payload=person.user,
            message_payload=message,
            token=f"tok-{interaction_id}-{uuid.uuid4().hex[:8]}",
            locale=person.locale,
        )

    def _person_of(self, payload: Json) -> Person:
        if "member" not in payload:  # a direct message: the person of that user id
            user_id = int(payload["user"]["id"])
            return next(x for (_, uid), x in self.people.items() if uid == user_id)
        user_id = int(payload["member"]["user"]["id"])
        return self.people[(int(payload["guild_id"]), user_id)]

    # -- gateway -----------------------------------------------------------------------

    def connected(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.ws is not None and not s.ws.closed]

    async def dispatch(
        self,
        event: str,
        data: Json,
        *,
        guild_id: int | None = None,
        intent: int | None = None,
        sessions: Iterable[Session] | None = None,
    ) -> list[tuple[Session, int]]:
        """Send a dispatch to every live session that wants it (resumable sessions that are
        disconnected keep it for RESUME). Returns (session, sequence) of each copy."""
        sent: list[tuple[Session, int]] = []
        targets = list(sessions) if sessions is not None else list(self.sessions.values())
        for s in targets:
            if not s.resumable or not s.wants(guild_id):
                continue
            if intent is not None and not s.intents & intent:
                continue
            s.seq += 1
            frame = json.dumps({"op": 0, "t": event, "s": s.seq, "d": data})
            s.events.append((s.seq, event, data))
            if s.ws is not None and not s.ws.closed:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await s.ws.send_str(frame)
            sent.append((s, s.seq))
        return sent

    async def replay(self, session: Session, seq: int) -> None:
        """Send an event again with its original sequence number (a true replay)."""
        for s, event, data in session.events:
            if s == seq:
                assert session.ws is not None
                await session.ws.send_str(json.dumps({"op": 0, "t": event, "s": s, "d": data}))
                return
        raise KeyError(seq)

    async def send_raw(self, text: str) -> None:
        """A frame as is, to every connected session (malformed payload tests)."""
        for s in self.connected():
            assert s.ws is not None
            await s.ws.send_str(text)

    async def disconnect(self, *, resumable: bool = True, code: int = 4000) -> None:
        """Drop every connection; a non-resumable drop makes the next RESUME fail."""
        for s in self.connected():
            if not resumable:
                s.resumable = False
            assert s.ws is not None
            self._closed_by_us.add(s.ws)
            await s.ws.close(code=code)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self._sockets.add(ws)
        session: Session | None = None
        try:
            await ws.send_str(
                json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
            )
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                op = payload.get("op")
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
                elif op == 2:
                    session = await self._identify(ws, payload["d"])
                elif op == 6:
                    session = await self._resume(ws, payload["d"])
                await self._notify()
        finally:
            self._sockets.discard(ws)
            if session is not None and session.ws is ws:
                session.ws = None
                if ws.close_code == 1000 and ws not in self._closed_by_us:
                    session.resumable = False  # the client closing cleanly ends the session
            self._closed_by_us.discard(ws)
            await self._notify()
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: Json) -> Session | None:
        self.identifies.append(data)
        intents = int(data.get("intents", 0))
        if intents & PRIVILEGED_INTENTS and not self.allow_privileged_intents:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return None
        shard = (int(data["shard"][0]), int(data["shard"][1])) if data.get("shard") else None
        session = Session(uuid.uuid4().hex, shard, intents)
        session.ws = ws
        session.identified_at = time.perf_counter()
        self.sessions[session.id] = session
        guilds = [g for g in self.guilds.values() if session.wants(g.id)]
        ready = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.app_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "session_type": "normal",
            "auth": {},
            "user_settings": {},
        }
        if shard is not None:
            ready["shard"] = list(shard)
        await self.dispatch("READY", ready, sessions=[session])
        for g in guilds:
            bot = self.bot_person(g)
            await self.dispatch("GUILD_CREATE", g.payload(bot.member), sessions=[session])
        return session

    async def _resume(self, ws: web.WebSocketResponse, data: Json) -> Session | None:
        self.resumes.append(data)
        session = self.sessions.get(data.get("session_id", ""))
        if session is None or not session.resumable:
            await ws.send_str(json.dumps({"op": 9, "d": False, "s": None, "t": None}))
            return None
        session.ws = ws
        last = int(data.get("seq") or 0)
        for seq, event, payload in list(session.events):
            if seq > last:
                await ws.send_str(json.dumps({"op": 0, "t": event, "s": seq, "d": payload}))
        await self.dispatch("RESUMED", {}, sessions=[session])
        return session


async def _serve(port: int) -> None:
    """`python -m tests.discord.fake PORT`: a fake on its own (the benchmark uses this)."""
    fake = await FakeDiscord().start(port)
    print(fake.port, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":  # pragma: no cover
    import sys

    asyncio.run(_serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
