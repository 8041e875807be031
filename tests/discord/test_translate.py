"""Gateway payloads to neutral events: pure functions on recorded payloads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.discord import translate
from bot.messages import ReactionAction

RECEIVED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
BOT_ID = "1058897343283200002"

# As Discord sends them (trimmed of nothing the adapter reads).
REACTION_ADD = {
    "type": 0,
    "user_id": "849074769100800010",
    "channel_id": "1574170912079478789",
    "message_id": "1574170913371324457",
    "guild_id": "1574170912079478788",
    "member": {
        "user": {
            "id": "849074769100800010",
            "username": "ana",
            "global_name": "Ana",
            "discriminator": "0",
            "avatar": None,
            "bot": False,
        },
        "roles": ["1574170912079478790"],
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "nick": "Ana from Lisbon",
        "deaf": False,
        "mute": False,
        "flags": 0,
    },
    "emoji": {"id": None, "name": "👍"},
    "burst": False,
    "burst_colors": [],
    "message_author_id": BOT_ID,
}
REACTION_REMOVE = {
    "type": 0,
    "user_id": "849074769100800010",
    "channel_id": "1574170912079478789",
    "message_id": "1574170913371324457",
    "guild_id": "1574170912079478788",
    "emoji": {"id": None, "name": "👍"},
    "burst": False,
}
REMOVE_ALL = {
    "channel_id": "1574170912079478789",
    "message_id": "1574170913371324457",
    "guild_id": "1574170912079478788",
}
REMOVE_EMOJI = {
    **REMOVE_ALL,
    "emoji": {"id": "112233445566778899", "name": "party", "animated": True},
}


def test_snowflakes_tell_when_an_account_was_made() -> None:
    assert translate.snowflake_time(175928847299117063) == datetime(
        2016, 4, 30, 11, 18, 25, 796000, tzinfo=UTC
    )


def test_a_reaction_add_carries_the_member() -> None:
    event = translate.reaction_event(
        "MESSAGE_REACTION_ADD",
        REACTION_ADD,
        received_at=RECEIVED,
        session_id="abc",
        sequence=42,
        bot_user_id=BOT_ID,
    )
    assert event is not None
    assert event.action is ReactionAction.ADD
    assert (event.community.platform, event.community.external_id) == (
        "discord",
        "1574170912079478788",
    )
    assert (event.channel_id, event.message_id, event.emoji) == (
        "1574170912079478789",
        "1574170913371324457",
        "👍",
    )
    assert event.at == event.received_at == RECEIVED
    member = event.member
    assert member is not None
    assert member.external_id == "849074769100800010"
    assert member.display_name == "Ana from Lisbon"
    assert member.joined_at == datetime(2024, 1, 1, tzinfo=UTC)
    assert member.account_created_at == translate.snowflake_time(849074769100800010)
    assert not member.is_bot
    assert event.event_id == "dc:abc:42:1574170913371324457:849074769100800010"


def test_the_event_id_is_the_same_for_a_replay_only() -> None:
    def event_id(session: str | None, seq: int | None) -> str | None:
        event = translate.reaction_event(
            "MESSAGE_REACTION_ADD",
            REACTION_ADD,
            received_at=RECEIVED,
            session_id=session,
            sequence=seq,
        )
        assert event is not None
        return event.event_id

    assert event_id("abc", 42) == event_id("abc", 42)
    assert event_id("abc", 42) != event_id("abc", 43)
    assert event_id("abc", 42) != event_id("def", 42)
    assert event_id(None, None) is None, "not deduplicated rather than wrongly merged"


def test_a_reaction_remove_has_no_member_object() -> None:
    event = translate.reaction_event(
        "MESSAGE_REACTION_REMOVE", REACTION_REMOVE, received_at=RECEIVED, known_name="Ana"
    )
    assert event is not None and event.member is not None
    assert event.action is ReactionAction.REMOVE
    assert event.member.display_name == "Ana"
    assert event.member.joined_at is None


def test_clear_and_clear_emoji() -> None:
    cleared = translate.reaction_event(
        "MESSAGE_REACTION_REMOVE_ALL", REMOVE_ALL, received_at=RECEIVED
    )
    assert cleared is not None
    assert (cleared.action, cleared.member, cleared.emoji) == (ReactionAction.CLEAR, None, None)
    one = translate.reaction_event(
        "MESSAGE_REACTION_REMOVE_EMOJI", REMOVE_EMOJI, received_at=RECEIVED
    )
    assert one is not None
    assert (one.action, one.member, one.emoji) == (
        ReactionAction.CLEAR,
        None,
        "<a:party:112233445566778899>",
    )


def test_the_bots_own_reaction_and_direct_messages_are_dropped() -> None:
    own = {**REACTION_ADD, "user_id": BOT_ID}
    assert (
        translate.reaction_event(
            "MESSAGE_REACTION_ADD", own, received_at=RECEIVED, bot_user_id=int(BOT_ID)
        )
        is None
    )
    dm = {k: v for k, v in REACTION_REMOVE.items() if k != "guild_id"}
    assert translate.reaction_event("MESSAGE_REACTION_REMOVE", dm, received_at=RECEIVED) is None


@pytest.mark.parametrize(
    "payload",
    [
        {"guild_id": "1", "user_id": "2"},
        {**REACTION_REMOVE, "message_id": "not-a-number"},
        {**REACTION_REMOVE, "emoji": None},
        {k: v for k, v in REACTION_REMOVE.items() if k != "user_id"},
    ],
)
def test_malformed_payloads_raise_for_the_caller_to_skip(payload: dict[str, Any]) -> None:
    with pytest.raises((KeyError, ValueError, TypeError)):
        translate.reaction_event("MESSAGE_REACTION_REMOVE", payload, received_at=RECEIVED)


def test_custom_emoji_forms() -> None:
    assert translate.emoji_text({"id": "5", "name": "yes"}) == "<:yes:5>"
    assert translate.emoji_route("<:yes:5>") == "yes:5"
    assert translate.emoji_route("<a:yes:5>") == "yes:5"
    assert translate.emoji_route("👍") == "👍"


@pytest.mark.parametrize(
    ("permissions", "roles", "names", "configured", "expected"),
    [
        (translate.MANAGE_GUILD, [], [], [], True),
        (translate.ADMINISTRATOR, [], [], [], True),
        (0, [], [], [], False),
        (0, ["77"], ["Helpers"], ["77"], True),
        (0, ["77"], ["Helpers"], ["helpers"], True),
        (0, ["77"], ["Helpers"], ["@Helpers"], True),
        (0, ["77"], ["Helpers"], ["78", "Stewards"], False),
    ],
)
def test_who_is_a_moderator(
    permissions: int, roles: list[str], names: list[str], configured: list[str], expected: bool
) -> None:
    assert translate.is_moderator(permissions, roles, names, configured) is expected


def test_a_member_payload_as_an_actor() -> None:
    actor = translate.member_actor(
        REACTION_ADD["member"],  # type: ignore[arg-type]
        permissions=0,
        role_names=["Helpers"],
        moderator_roles=["1574170912079478790"],
    )
    assert actor.is_moderator
    assert actor.display_name == "Ana from Lisbon"


def test_user_payloads_from_reactor_lists() -> None:
    bot = translate.user_actor({"id": BOT_ID, "username": "cocreate", "bot": True})
    assert bot.is_bot
    plain = translate.user_actor(
        {"id": "849074769100800010", "username": "ana", "global_name": None}
    )
    assert (plain.display_name, plain.is_bot) == ("ana", False)


def test_option_values_for_the_core() -> None:
    assert translate.core_options({"title": "x", "page": 2, "sealed": False, "idea": None}) == {
        "title": "x",
        "page": 2,
        "sealed": False,
    }


def test_every_skin_tone_of_the_vote_emoji_is_a_vote_reaction() -> None:
    def reaction(name: str, count: int, me: bool = False, emoji_id: str | None = None) -> Any:
        return {
            "count": count + 1,
            "count_details": {"burst": 1, "normal": count},
            "me": me,
            "me_burst": False,
            "burst_colors": [],
            "emoji": {"id": emoji_id, "name": name},
        }

    message = {
        "reactions": [
            reaction("👍", 1, me=True),
            reaction("🎉", 4),
            reaction("👍🏽", 2),
            reaction("👍\ufe0f", 1),
            reaction("👎🏿", 3),
            reaction("yes", 2, emoji_id="5"),
        ]
    }
    tallies = translate.vote_tallies(message, "👍")
    assert [(t.emoji, t.count, t.only_the_bot) for t in tallies] == [
        ("👍", 1, True),
        ("👍🏽", 2, False),
        ("👍\ufe0f", 1, False),
    ]
    assert [t.emoji for t in translate.vote_tallies(message, "<a:yes:5>")] == ["<:yes:5>"]
    assert translate.vote_tallies(message, "<:yes:6>") == []
    assert translate.vote_tallies({"reactions": []}, "👍") == []
    assert translate.same_emoji("👍🏿", "👍") and not translate.same_emoji("👎", "👍")
