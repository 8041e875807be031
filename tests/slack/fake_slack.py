"""A fake Slack on 127.0.0.1: the Web API methods the adapter calls, response_urls, the
OAuth token exchange and a Socket Mode websocket. The real slack_sdk and slack-bolt talk
to it unmodified (the base URL is configuration). It keeps state like Slack does (messages,
reactions, users, user groups) so tests can check what a workspace would show, and it can
inject faults: HTTP 429 with Retry-After, 5xx, a stalled call, a deleted message.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

JSON = "application/json"
BOT_SCOPES = "commands,chat:write,chat:write.public,channels:join,reactions:read,reactions:write"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None


@dataclass
class Team:
    team_id: str
    token: str
    bot_user: str
    bot_id: str
    name: str


@dataclass
class Fault:
    status: int = 500
    body: dict[str, Any] = field(default_factory=lambda: {"ok": False, "error": "fatal_error"})
    headers: dict[str, str] = field(default_factory=dict)
    stall: bool = False


@dataclass
class Message:
    channel: str
    ts: str
    team: str
    text: str
    blocks: list[dict[str, Any]]
    reactions: dict[str, list[str]] = field(default_factory=dict)
    #: the parent's ts, for a reply in a thread
    thread_ts: str | None = None
    #: the users of the replies in its thread, one per reply (the app's too)
    repliers: list[str] = field(default_factory=list)
    #: who wrote it: a member's id, or the app's bot user (with its bot id)
    user: str = ""
    bot_id: str = ""

    def as_payload(self) -> dict[str, Any]:
        """As conversations.history and conversations.replies list it."""
        out: dict[str, Any] = {"type": "message", "ts": self.ts, "text": self.text}
        if self.user:
            out["user"] = self.user
        if self.bot_id:
            out["bot_id"] = self.bot_id
        if self.thread_ts:
            out["thread_ts"] = self.thread_ts
        return out


class FakeSlack:
    def __init__(self) -> None:
        self.teams: dict[str, Team] = {}
        self.app_tokens: set[str] = set()
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[tuple[str, str], list[str]] = {}
        #: channels a bot must join before posting (public channels it is not in)
        self.not_joined: set[str] = set()
        self.missing_channels: set[str] = set()
        #: user -> the error a direct message to them gets (cannot_dm_bot, not_allowed)
        self.closed_dms: dict[str, str] = {}
        self.messages: dict[tuple[str, str], Message] = {}
        self.calls: list[Call] = []
        self.responses: list[tuple[str, dict[str, Any]]] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self.oauth_codes: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, bytes] = {}
        #: (channel, [(title, content)]) of every completed file upload
        self.files: list[tuple[str, list[tuple[str, bytes]]]] = []
        self.faults: dict[str, deque[Fault]] = {}
        self._released = asyncio.Event()
        self._ts = itertools.count(1)
        self._views = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        # Socket Mode
        self.socket: web.WebSocketResponse | None = None
        self.socket_connected = asyncio.Event()
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        #: envelope id -> the response_url key of the slash command it carries
        self._answer_keys: dict[str, str] = {}

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{key}", self._respond)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        app.router.add_get("/_answered", self._answered)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=2048)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        self._released.set()
        if self.socket is not None:
            await self.socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, key: str) -> str:
        return f"{self.url}/respond/{key}"

    # -- setting the scene -----------------------------------------------------------------

    def add_team(self, team_id: str, token: str, bot_user: str = "UBOT", name: str = "") -> Team:
        team = Team(team_id, token, bot_user, f"B{bot_user}", name or team_id.lower())
        self.teams[token] = team
        return team

    def add_user(
        self,
        user_id: str,
        name: str,
        team_id: str = "T1",
        *,
        admin: bool = False,
        owner: bool = False,
        bot: bool = False,
        locale: str = "en-US",
    ) -> None:
        """`locale`: what users.info reports when asked with `include_locale`."""
        self.users[user_id] = {
            "id": user_id,
            "team_id": team_id,
            "name": name.lower(),
            "real_name": name,
            "deleted": False,
            "is_admin": admin,
            "is_owner": owner,
            "is_primary_owner": False,
            "is_bot": bot,
            "is_app_user": False,
            "profile": {"display_name": name, "real_name": name},
            "locale": locale,
        }

    def fail(self, method: str, *faults: Fault) -> None:
        self.faults.setdefault(method, deque()).extend(faults)

    def release(self) -> None:
        """Let stalled calls finish."""
        self._released.set()

    def react(self, channel: str, ts: str, name: str, user: str) -> None:
        """A member reacts in Slack (no event is sent: the bot may be down)."""
        users = self.messages[(channel, ts)].reactions.setdefault(name, [])
        if user not in users:
            users.append(user)

    def delete(self, channel: str, ts: str) -> None:
        del self.messages[(channel, ts)]

    # -- reading what happened -------------------------------------------------------------

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posts(self, channel: str | None = None) -> list[Message]:
        """The messages in a channel (or every channel), not the replies in threads."""
        return [
            m
            for m in self.messages.values()
            if channel in (None, m.channel) and m.thread_ts is None
        ]

    async def wait_for(self, check: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Until `check()` is truthy (re-checked after every call the fake answers)."""

        async def until() -> Any:
            async with self._changed:
                while not (result := check()):
                    await self._changed.wait()
                return result

        return await asyncio.wait_for(until(), timeout)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- Web API ---------------------------------------------------------------------------

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.content_type == JSON:
            args.update(await request.json())
        elif request.can_read_body:
            args.update(await request.post())
        for key in ("blocks", "view", "attachments"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    def _token(self, request: web.Request, args: Mapping[str, Any]) -> str | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return header[7:]
        token = args.get("token")
        return str(token) if token else None

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        token = self._token(request, args)
        call = Call(method, args, token)
        self.calls.append(call)
        await self._notify()  # a call that stalls has arrived all the same
        try:
            fault = self.faults.get(method)
            if fault:
                injected = fault.popleft()
                if injected.stall:
                    await self._released.wait()
                else:
                    return _json(injected.body, injected.status, injected.headers)
            if method == "apps.connections.open":
                if token not in self.app_tokens:
                    return _json({"ok": False, "error": "invalid_auth"})
                return _json({"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"})
            if method == "oauth.v2.access":
                return _json(self._oauth_v2_access(args, request))
            handler = getattr(self, "_" + method.replace(".", "_"), None)
            if handler is None:
                return _json({"ok": False, "error": "unknown_method"})
            team = self.teams.get(token or "")
            if team is None:
                return _json({"ok": False, "error": "invalid_auth"})
            return _json(handler(team, args))
        finally:
            await self._notify()

    def _auth_test(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{team.name}.slack.com/",
            "team": team.name,
            "user": "cocreate",
            "team_id": team.team_id,
            "user_id": team.bot_user,
            "bot_id": team.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_postMessage(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args["channel"])
        if channel in self.missing_channels:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.not_joined:
            return {"ok": False, "error": "not_in_channel"}
        if channel.startswith("U"):
            if channel in self.closed_dms:
                return {"ok": False, "error": self.closed_dms[channel]}
            channel = "D" + channel
        ts = f"1700000000.{next(self._ts):06d}"
        thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
        if thread_ts is not None:
            parent = self.messages.get((channel, thread_ts))
            if parent is None:
                return {"ok": False, "error": "thread_not_found"}
            parent.repliers.append(team.bot_user)
        message = Message(
            channel, ts, team.team_id, str(args.get("text", "")), args.get("blocks") or [],
            thread_ts=thread_ts, user=team.bot_user, bot_id=team.bot_id,
        )  # fmt: skip
        self.messages[(channel, ts)] = message
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "message": {"ts": ts, "text": message.text},
        }

    def _conversations_history(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        """The channel's messages (not replies in threads), newest first, between `oldest`
        and `latest` (both included with `inclusive`), at most `limit`."""
        channel = str(args["channel"])
        inclusive = str(args.get("inclusive", "")).lower() in ("1", "true")
        latest, oldest = args.get("latest"), args.get("oldest")

        def within(ts: str) -> bool:
            value = float(ts)
            if latest is not None and (
                value > float(latest) or (value == float(latest)) > inclusive
            ):
                return False
            return oldest is None or not (
                value < float(oldest) or (value == float(oldest)) > inclusive
            )

        found = [m for m in self.posts(channel) if within(m.ts)]
        found.sort(key=lambda m: float(m.ts), reverse=True)
        found = found[: int(args.get("limit", 100))]
        return {"ok": True, "messages": [m.as_payload() for m in found], "has_more": False}

    def _conversations_replies(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args["channel"])
        parent = self.messages.get((channel, str(args["ts"])))
        if parent is not None and parent.thread_ts is not None:
            reply = parent  # a reply's ts: its thread, the parent first, then the reply
            parent = self.messages.get((channel, reply.thread_ts or ""))
            if parent is None:
                return {"ok": False, "error": "thread_not_found"}
            messages = [{**parent.as_payload(), "thread_ts": parent.ts}, reply.as_payload()]
            return {"ok": True, "messages": messages, "has_more": False}
        if parent is None:
            return {"ok": False, "error": "thread_not_found"}
        head: dict[str, Any] = {"type": "message", "ts": parent.ts, "text": parent.text}
        if parent.repliers:
            head |= {
                "thread_ts": parent.ts,
                "reply_count": len(parent.repliers),
                "reply_users": list(dict.fromkeys(parent.repliers)),
                "reply_users_count": len(set(parent.repliers)),
            }
        return {"ok": True, "messages": [head], "has_more": False}

    def reply(self, message: tuple[str, str], user: str, text: str) -> None:
        """A member replies in a message's thread (Slack counts it; the app is not told)."""
        parent = self.messages[message]
        ts = f"1700000000.{next(self._ts):06d}"
        self.messages[(parent.channel, ts)] = Message(
            parent.channel, ts, parent.team, text, [], thread_ts=parent.ts, user=user
        )
        parent.repliers.append(user)

    def thread(self, message: tuple[str, str]) -> list[Message]:
        """The replies in a message's thread, oldest first."""
        return [
            m
            for m in self.messages.values()
            if m.channel == message[0] and m.thread_ts == message[1]
        ]

    def say(self, channel: str, user: str, text: str, team: str = "T1") -> dict[str, Any]:
        """`user` writes a message in `channel` (no event: the app reads no messages);
        returns it as a message shortcut's payload carries it."""
        ts = f"1700000000.{next(self._ts):06d}"
        self.messages[(channel, ts)] = Message(channel, ts, team, text, [], user=user)
        return {"type": "message", "user": user, "ts": ts, "text": text, "team": team}

    def dms(self, user: str) -> list[Message]:
        return [m for m in self.messages.values() if m.channel == "D" + user]

    def _conversations_join(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        self.not_joined.discard(str(args["channel"]))
        return {"ok": True, "channel": {"id": args["channel"]}}

    def _chat_update(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        message = self.messages.get((str(args["channel"]), str(args["ts"])))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message.text = str(args.get("text", message.text))
        message.blocks = args.get("blocks") or message.blocks
        return {"ok": True, "channel": message.channel, "ts": message.ts}

    def _chat_postEphemeral(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": f"1700000001.{next(self._ts):06d}"}

    def _reactions_add(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        message = self.messages.get((str(args["channel"]), str(args["timestamp"])))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        users = message.reactions.setdefault(str(args["name"]), [])
        if team.bot_user in users:
            return {"ok": False, "error": "already_reacted"}
        users.append(team.bot_user)
        return {"ok": True}

    def _reactions_get(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        message = self.messages.get((str(args["channel"]), str(args["timestamp"])))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        reactions = [
            {"name": name, "users": list(users), "count": len(users)}
            for name, users in message.reactions.items()
            if users
        ]
        return {
            "ok": True,
            "type": "message",
            "channel": message.channel,
            "message": {"type": "message", "ts": message.ts, "reactions": reactions},
        }

    def _users_info(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        if str(args.get("include_locale", "")).lower() in ("1", "true"):
            return {"ok": True, "user": user}
        return {"ok": True, "user": {k: v for k, v in user.items() if k != "locale"}}

    def _usergroups_users_list(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        users = self.usergroups.get((team.team_id, str(args.get("usergroup"))))
        if users is None:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": users}

    def _views_open(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        view_id = f"V{next(self._views)}"
        view = {**args["view"], "id": view_id, "team_id": team.team_id}
        self.views[view_id] = view
        return {"ok": True, "view": view}

    def _views_update(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        view_id = str(args["view_id"])
        self.views[view_id] = {**args["view"], "id": view_id}
        return {"ok": True, "view": self.views[view_id]}

    def _views_publish(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        self.home_views[str(args["user_id"])] = args["view"]
        return {"ok": True, "view": args["view"]}

    def _conversations_open(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": "D" + str(args["users"])}}

    def _files_getUploadURLExternal(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._ts)}"
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["file_id"]] = await request.read()
        return web.Response(text="OK", content_type="text/plain")

    def _files_completeUploadExternal(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        files = json.loads(args["files"]) if isinstance(args["files"], str) else args["files"]
        self.files.append(
            (str(args.get("channel_id")), [(f["title"], self.uploads[f["id"]]) for f in files])
        )
        return {"ok": True, "files": [{"id": f["id"], "title": f["title"]} for f in files]}

    def _oauth_v2_access(self, args: dict[str, Any], request: web.Request) -> dict[str, Any]:
        grant = self.oauth_codes.pop(str(args.get("code")), None)
        if grant is None or "Authorization" not in request.headers:
            return {"ok": False, "error": "invalid_code"}
        team = self.add_team(grant["team"], grant["token"], grant.get("bot_user", "UBOT"))
        return {
            "ok": True,
            "app_id": "A1",
            "authed_user": {"id": grant["installer"]},
            "scope": BOT_SCOPES,
            "token_type": "bot",
            "access_token": team.token,
            "bot_user_id": team.bot_user,
            "team": {"id": team.team_id, "name": team.name},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    # -- response_url ----------------------------------------------------------------------

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append((request.match_info["key"], await request.json()))
        await self._notify()
        return web.Response(text="ok", content_type="text/plain")

    async def _answered(self, request: web.Request) -> web.Response:
        """For a load generator in another process: wait until `count` response_url answers
        with keys starting with `prefix` arrived."""
        prefix, count = request.query["prefix"], int(request.query["count"])
        # Counted as they arrive: a rescan of every answer at each call that reaches the
        # fake took a share of the machine from the bot under test in a burst.
        read = found = 0

        def done() -> int:
            nonlocal read, found
            found += sum(1 for key, _ in self.responses[read:] if key.startswith(prefix))
            read = len(self.responses)
            return found if found >= count else 0

        answered = await self.wait_for(done, float(request.query.get("timeout", "60")))
        return _json({"answered": answered})

    def answers(self, key: str) -> list[dict[str, Any]]:
        return [body for k, body in self.responses if k == key]

    # -- Socket Mode -----------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.socket = ws
        await ws.send_json(
            {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}}
        )
        self.socket_connected.set()
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                continue
            ack = json.loads(frame.data)
            key = self._answer_keys.pop(str(ack.get("envelope_id")), None)
            if key is not None and ack.get("payload"):  # the command's answer, in its ack
                self.responses.append((key, ack["payload"]))
            future = self._acks.pop(str(ack.get("envelope_id")), None)
            if future is not None and not future.done():
                future.set_result(ack)
        return ws

    async def envelope(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Send one Socket Mode envelope and wait for its ack."""
        return await asyncio.wait_for(await self.send_envelope(kind, payload), 5)

    async def send_envelope(
        self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0
    ) -> asyncio.Future[dict[str, Any]]:
        """Send one Socket Mode envelope; the future is its ack (Slack sends an envelope
        that is not acked again, as a new envelope with `retry_attempt` one higher)."""
        assert self.socket is not None, "no Socket Mode connection"
        envelope_id = str(uuid.uuid4())
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = future
        response_url = str(payload.get("response_url", ""))
        if kind == "slash_commands" and "/respond/" in response_url:
            self._answer_keys[envelope_id] = response_url.rpartition("/respond/")[2]
        await self.socket.send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": retry_attempt,
                "retry_reason": "timeout" if retry_attempt else "",
            }
        )
        return future


def _json(body: dict[str, Any], status: int = 200, headers: Mapping[str, str] | None = None):
    # Exactly application/json, as Slack sends it.
    return web.Response(
        text=json.dumps(body), status=status, headers=dict(headers or {}), content_type=JSON
    )
