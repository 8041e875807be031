"""Bolt's installation and OAuth state stores, over the adapter's own records that the
core keeps (`bot.ports.Records`, owner `slack`).

Records: scope `installation/<enterprise>/<team>`, key the user ('' for the bot-level
installation), value the installation's JSON (sealed); scope `team`, key a team id, value
the enterprise of its bot-level installation; scope `oauth_state`, key a state, expiring.

Each installation holds a workspace's bot token, so the `data` column is encrypted at rest
with AES-GCM under a key derived from the app's client secret (HMAC-SHA256), when the
`cryptography` package is importable. Without it, rows are stored as plain JSON and a
warning says so once; rows written encrypted are read back only with it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.ports import Records

log = logging.getLogger("cocreate.slack.installations")

ENCRYPTED_PREFIX = "aesgcm1:"
_KEY_LABEL = b"cocreate/slack/installation-store/v1"


class Codec(Protocol):
    """Turns an installation's JSON into what the `data` column holds, and back."""

    name: str

    def seal(self, plaintext: str, row_key: str) -> str: ...
    def open(self, stored: str, row_key: str) -> str: ...


class PlainCodec:
    """JSON as it is. Used only when `cryptography` is not installed."""

    name = "plain"

    def seal(self, plaintext: str, row_key: str) -> str:
        return plaintext

    def open(self, stored: str, row_key: str) -> str:
        if stored.startswith(ENCRYPTED_PREFIX):
            raise ValueError("this installation is encrypted; install `cryptography` to read it")
        return stored


class AesGcmCodec:
    """AES-256-GCM; the key is HMAC-SHA256(client_secret, label), the row's ids are the
    associated data, so a ciphertext copied to another row does not open."""

    name = "aes-gcm"

    def __init__(self, client_secret: str) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import (  # type: ignore[import-not-found,unused-ignore]
            AESGCM,
        )

        key = hmac.new(client_secret.encode(), _KEY_LABEL, hashlib.sha256).digest()
        self._aead = AESGCM(key)

    def seal(self, plaintext: str, row_key: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), row_key.encode())
        return ENCRYPTED_PREFIX + base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, stored: str, row_key: str) -> str:
        if not stored.startswith(ENCRYPTED_PREFIX):
            return stored  # written before encryption was available
        raw = base64.b64decode(stored[len(ENCRYPTED_PREFIX) :])
        opened: bytes = self._aead.decrypt(raw[:12], raw[12:], row_key.encode())
        return opened.decode()


def encryption_available() -> bool:
    try:
        import cryptography.hazmat.primitives.ciphers.aead  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        return False
    return True


def codec_for(client_secret: str) -> Codec:
    """AES-GCM when `cryptography` is importable; plain JSON (with a warning) otherwise."""
    if encryption_available():
        return AesGcmCodec(client_secret)
    log.warning(
        "the `cryptography` package is not installed: Slack installations (bot tokens) are "
        "stored unencrypted in the database"
    )
    return PlainCodec()


def _ids(
    enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
) -> tuple[str, str]:
    """The row key: an org-wide install is stored for the enterprise, with no team."""
    enterprise = enterprise_id or ""
    team = "" if is_enterprise_install and enterprise else (team_id or "")
    return enterprise, team


def _row_key(enterprise: str, team: str, user: str) -> str:
    """What a sealed installation is bound to: it opens only under the same ids."""
    return f"{enterprise}/{team}/{user}"


def _scope(enterprise: str, team: str) -> str:
    return f"installation/{enterprise}/{team}"


#: the scope that maps a team to the enterprise of its bot-level installation
TEAMS = "team"
OAUTH_STATES = "oauth_state"


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__}")


class InstallationStore(AsyncInstallationStore):
    """Installations per (enterprise, team, user): the bot-level one has user ''; the
    installer's own keeps their copy. Lookups are cached for `ttl_s` seconds."""

    def __init__(
        self,
        records: Records,
        codec: Codec,
        *,
        client_id: str = "",
        ttl_s: float = 60.0,
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        import time

        self.records = records
        self.codec = codec
        self.client_id = client_id
        self.ttl_s = ttl_s
        self._monotonic = monotonic or time.monotonic
        self._cache: dict[tuple[str, str, str], tuple[float, Installation | None]] = {}
        #: told of each workspace that installs the app (the platform marks it present)
        self.on_installed: Callable[[str], Awaitable[None]] | None = None

    @property
    def logger(self) -> logging.Logger:
        return log

    # -- writes ----------------------------------------------------------------------------

    async def async_save(self, installation: Installation) -> None:
        enterprise, team = _ids(
            installation.enterprise_id, installation.team_id, installation.is_enterprise_install
        )
        data = json.dumps(installation.to_dict_for_copying(), default=_json_default)
        users = [""]
        if installation.user_id:
            users.append(installation.user_id)
        for user in users:
            sealed = self.codec.seal(data, _row_key(enterprise, team, user))
            await self.records.put(_scope(enterprise, team), user, sealed)
        if team:
            await self.records.put(TEAMS, team, enterprise)
        self._forget(enterprise, team)
        if team and self.on_installed is not None:
            await self.on_installed(team)
        log.info(
            "Slack app installed in %s%s",
            f"enterprise {enterprise} " if enterprise else "",
            f"team {team}" if team else "(org-wide)",
        )

    async def async_save_bot(self, bot: Bot) -> None:
        """Token rotation refreshed a bot token: keep the rest of the installation."""
        found = await self.async_find_installation(
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            is_enterprise_install=bot.is_enterprise_install,
        )
        if found is None:
            found = Installation(
                app_id=bot.app_id,
                enterprise_id=bot.enterprise_id,
                team_id=bot.team_id,
                user_id="",
                installed_at=bot.installed_at,
                is_enterprise_install=bot.is_enterprise_install,
            )
        found.bot_token = bot.bot_token
        found.bot_id = bot.bot_id
        found.bot_user_id = bot.bot_user_id
        found.bot_scopes = bot.bot_scopes
        found.bot_refresh_token = bot.bot_refresh_token
        found.bot_token_expires_at = bot.bot_token_expires_at
        found.user_id = ""  # the bot-level row only
        await self.async_save(found)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self._delete(enterprise_id, team_id, "")

    async def async_delete_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
    ) -> None:
        await self._delete(enterprise_id, team_id, user_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self._delete(enterprise_id, team_id, None)

    async def _delete(
        self, enterprise_id: str | None, team_id: str | None, user: str | None
    ) -> None:
        enterprise, team = enterprise_id or "", team_id or ""
        await self.records.delete(_scope(enterprise, team), user)
        if team and user in (None, ""):
            await self.records.delete(TEAMS, team)
        self._forget(enterprise, team)
        log.info("Slack installation removed for %s", team or enterprise or "(none)")

    # -- reads -----------------------------------------------------------------------------

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        found = await self.async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        if found is None or not found.bot_token:
            return None
        return found.to_bot()

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        enterprise, team = _ids(enterprise_id, team_id, is_enterprise_install)
        found = await self._cached(enterprise, team, user_id or "")
        if found is None and not is_enterprise_install and enterprise and not user_id:
            # An event from a workspace of an org whose install is org-wide.
            found = await self._cached(enterprise, "", "")
        return found

    async def find_by_team(self, team_id: str) -> Installation | None:
        """The bot-level installation of a workspace, whatever its enterprise (cached)."""
        key = ("*", team_id, "")
        now = self._monotonic()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        enterprise = await self.records.get(TEAMS, team_id)
        found = None if enterprise is None else await self._load(enterprise, team_id, "")
        self._cache[key] = (now + (self.ttl_s if found else min(self.ttl_s, 5.0)), found)
        return found

    async def _cached(self, enterprise: str, team: str, user: str) -> Installation | None:
        key = (enterprise, team, user)
        now = self._monotonic()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        found = await self._load(enterprise, team, user)
        self._cache[key] = (now + (self.ttl_s if found else min(self.ttl_s, 5.0)), found)
        return found

    async def _load(self, enterprise: str, team: str, user: str) -> Installation | None:
        stored = await self.records.get(_scope(enterprise, team), user)
        if stored is None:
            log.debug("no Slack installation for %s/%s/%s", enterprise, team, user)
            return None
        return self._decode(enterprise, team, user, stored)

    def _decode(self, enterprise: str, team: str, user: str, stored: str) -> Installation | None:
        try:
            values = json.loads(self.codec.open(stored, _row_key(enterprise, team, user)))
        except Exception as err:
            log.error(
                "the stored Slack installation for %s cannot be read (%s)",
                team or enterprise,
                type(err).__name__,
            )
            return None
        custom = values.pop("custom_values", None) or {}
        return Installation(**values, custom_values=custom)

    def _forget(self, enterprise: str, team: str) -> None:
        """Installs and removals are rare: start the cache afresh."""
        self._cache.clear()


class OAuthStateStore(AsyncOAuthStateStore):
    """One-time `state` values of the OAuth flow, valid for `expiration_seconds`."""

    def __init__(
        self,
        records: Records,
        expiration_seconds: int = 600,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.records = records
        self.expiration_seconds = expiration_seconds
        self._now = now or (lambda: datetime.now(UTC))

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(32)
        expires_at = self._now() + timedelta(seconds=self.expiration_seconds)
        await self.records.put(OAUTH_STATES, state, "", expires_at=expires_at)
        return state

    async def async_consume(self, state: str) -> bool:
        valid = await self.records.take(OAUTH_STATES, state) is not None
        if not valid:
            log.info("an OAuth state was unknown, used or expired")
        return valid
