"""Who a Slack user is for the core: their name, whether they are a bot, whether they
moderate (workspace admins and owners, or `slack.admins` user ids and user group ids), and
the language Slack reports for them (`users.info` with `include_locale`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.messages import Actor

log = logging.getLogger("cocreate.slack")

#: Past this many cached users, expired entries are dropped.
CACHE_MAX = 10_000


@dataclass(frozen=True)
class Profile:
    user_id: str
    team_id: str
    name: str
    is_bot: bool
    is_admin: bool
    #: Slack's locale for the user ("es-ES"); None when Slack did not say
    locale: str | None = None


def profile_of(user: Mapping[str, Any], fallback_name: str = "") -> Profile:
    """A `users.info` user object, reduced to what the core needs."""
    info = user.get("profile") or {}
    name = (
        info.get("display_name")
        or info.get("real_name")
        or user.get("real_name")
        or user.get("name")
        or fallback_name
        or str(user.get("id", ""))
    )
    return Profile(
        user_id=str(user.get("id", "")),
        team_id=str(user.get("team_id", "")),
        name=str(name),
        is_bot=bool(user.get("is_bot") or user.get("is_app_user")),
        is_admin=bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")),
        locale=str(user["locale"]) if user.get("locale") else None,
    )


class Directory:
    """Cached lookups of users (`users.info`) and admin user groups
    (`usergroups.users.list`), per workspace."""

    def __init__(self, admins: Iterable[str], ttl_s: float, monotonic: Callable[[], float]):
        admins = [a.strip() for a in admins if a.strip()]
        self.admin_users = {a for a in admins if not a.startswith("S")}
        self.admin_groups = [a for a in admins if a.startswith("S")]
        self.ttl_s = ttl_s
        self._now = monotonic
        self._profiles: dict[tuple[str, str], tuple[float, Profile]] = {}
        self._groups: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}

    async def actor(
        self,
        client: AsyncWebClient,
        team_id: str,
        user_id: str,
        name_hint: str = "",
        *,
        check_groups: bool = True,
    ) -> Actor:
        """The user as an Actor of this workspace. A user of another workspace (a shared
        channel) is never a moderator here, whatever their role at home."""
        profile = await self.profile(client, team_id, user_id, name_hint)
        home = profile is not None and profile.team_id in ("", team_id)
        moderator = user_id in self.admin_users or bool(profile and profile.is_admin and home)
        if not moderator and check_groups and self.admin_groups:
            moderator = await self.in_admin_group(client, team_id, user_id)
        return Actor(
            external_id=user_id,
            display_name=profile.name if profile else name_hint,
            is_moderator=moderator,
            is_bot=bool(profile and profile.is_bot),
            locale=profile.locale if profile else None,
        )

    async def profile(
        self, client: AsyncWebClient, team_id: str, user_id: str, name_hint: str = ""
    ) -> Profile | None:
        key = (team_id, user_id)
        now = self._now()
        hit = self._profiles.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        try:
            response = await client.users_info(user=user_id, include_locale=True)
        except SlackApiError as err:
            log.warning("users.info for %s failed: %s", user_id, err.response.get("error"))
            return None
        except Exception as err:
            log.warning("users.info for %s failed: %s", user_id, type(err).__name__)
            return None
        profile = profile_of(response.get("user") or {}, name_hint)
        if len(self._profiles) >= CACHE_MAX:
            self._profiles = {k: v for k, v in self._profiles.items() if v[0] > now}
        self._profiles[key] = (now + self.ttl_s, profile)
        return profile

    async def in_admin_group(self, client: AsyncWebClient, team_id: str, user_id: str) -> bool:
        for group in self.admin_groups:
            if user_id in await self._members(client, team_id, group):
                return True
        return False

    async def _members(self, client: AsyncWebClient, team_id: str, group: str) -> frozenset[str]:
        key = (team_id, group)
        now = self._now()
        hit = self._groups.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        members: frozenset[str] = frozenset()
        try:
            response = await client.usergroups_users_list(usergroup=group)
            members = frozenset(str(u) for u in response.get("users") or [])
        except SlackApiError as err:
            # A group of another workspace is `no_such_subteam` here: nobody is in it.
            log.info("user group %s in %s: %s", group, team_id, err.response.get("error"))
        except Exception as err:
            log.warning("usergroups.users.list %s failed: %s", group, type(err).__name__)
            return members  # not cached: try again next time
        self._groups[key] = (now + self.ttl_s, members)
        return members

    def cached_locale(self, team_id: str, user_id: str) -> str | None:
        """The user's Slack locale if it is known already (no call to Slack: for answers
        that must come at once, such as opening a form)."""
        hit = self._profiles.get((team_id, user_id))
        return hit[1].locale if hit is not None and hit[0] > self._now() else None

    def forget(self, team_id: str, user_id: str) -> None:
        self._profiles.pop((team_id, user_id), None)
