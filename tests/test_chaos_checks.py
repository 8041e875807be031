"""The chaos benchmark's checks of the posts an idea's final place makes (bench/chaos_rig.py):
one in each of its posts' threads, in the right thread and with its true votes, no
follower told the same twice in their direct messages, and each badge stored told once."""

from __future__ import annotations

from collections import Counter

from bench import chaos_rig as rig
from tests.slack.fake_slack import Message

TITLE = "Chaos A"
VENUE = "C_A1"


def _card(header: str, body: str = "") -> list[dict[str, object]]:
    blocks: list[dict[str, object]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header}}
    ]
    if body:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body}})
    return blocks


def _post(
    fake: rig.ChaosSlack,
    channel: str,
    ts: str,
    header: str,
    body: str = "",
    thread: str | None = None,
) -> None:
    fake.messages[(channel, ts)] = Message(
        channel, ts, "T1", header, _card(header, body), thread_ts=thread
    )


def _scene() -> tuple[rig.ChaosSlack, rig.Expected]:
    """A closed challenge of two ideas, each posted once, with its announcement and final
    results: everything due but the final places."""
    fake = rig.ChaosSlack()
    expected = rig.Expected()
    expected.challenge(TITLE, [VENUE])
    expected.final(TITLE, "chaos-a", [VENUE], closes_at=0.0)
    _post(fake, VENUE, "1.0", f"📣 New challenge: {TITLE}")
    _post(fake, VENUE, "2.0", "💡 #1 · A-01 Divuli")
    _post(fake, VENUE, "3.0", "💡 #2 · A-02 Dodinu")
    _post(fake, VENUE, "9.0", f"🏆 Final results: {TITLE}")
    expected.idea(TITLE, [VENUE], "A-01 Divuli")
    expected.idea(TITLE, [VENUE], "A-02 Dodinu")
    return fake, expected


def _check(fake: rig.ChaosSlack, expected: rig.Expected) -> rig.PostCheck:
    return rig.check_posts(fake, expected, [TITLE], {"chaos-a": {1: 3, 2: 1}}, Counter())


def _placed(
    fake: rig.ChaosSlack, ts: str, number: int, title: str, votes: int, thread: str
) -> None:
    header = f"🏁 #{number} {title} finished 🥇 1st place"
    _post(fake, VENUE, ts, header, f"Final results of {TITLE}: {votes} votes.", thread)


def test_each_final_place_in_its_own_thread_with_its_true_votes_is_what_is_due() -> None:
    fake, expected = _scene()
    assert _check(fake, expected).missing == 2  # the two final places are due
    _placed(fake, "10.0", 1, "A-01 Divuli", 3, thread="2.0")
    _placed(fake, "11.0", 2, "A-02 Dodinu", 1, thread="3.0")
    checked = _check(fake, expected)
    assert (checked.due, checked.made, checked.missing, checked.unexpected) == (6, 6, 0, 0)


def test_a_final_place_in_another_idea_s_thread_or_with_wrong_votes_is_caught() -> None:
    fake, expected = _scene()
    _placed(fake, "10.0", 1, "A-01 Divuli", 3, thread="3.0")  # the thread of idea #2
    _placed(fake, "11.0", 2, "A-02 Dodinu", 4, thread="3.0")  # the truth is 1 vote
    checked = _check(fake, expected)
    assert (checked.missing, checked.unexpected) == (2, 2)
    assert any("another thread" in e for e in checked.examples)
    assert any("placed with 4 votes, truth 1" in e for e in checked.examples)


def test_a_final_place_told_twice_in_a_thread_is_doubled() -> None:
    fake, expected = _scene()
    _placed(fake, "10.0", 1, "A-01 Divuli", 3, thread="2.0")
    _placed(fake, "10.5", 1, "A-01 Divuli", 3, thread="2.0")
    _placed(fake, "11.0", 2, "A-02 Dodinu", 1, thread="3.0")
    assert _check(fake, expected).doubled == 1


def test_followers_told_in_direct_messages_are_not_badges_and_a_second_telling_counts() -> None:
    fake, expected = _scene()
    _post(fake, "DU0001", "20.0", "🏁 #1 A-01 Divuli finished 🥇 1st place")
    _post(fake, "DU0002", "21.0", "🏁 #1 A-01 Divuli finished 🥇 1st place")
    _post(fake, "DU0003", "22.0", "🎖️ You earned 💡 Spark")
    checked = rig.check_posts(fake, expected, [TITLE], {}, Counter({("U0003", "spark"): 1}))
    assert (checked.follower_dms, checked.follower_dms_doubled) == (2, 0)
    assert (checked.badge_dms, checked.badge_dms_doubled) == (1, 0)
    _post(fake, "DU0001", "23.0", "🏁 #1 A-01 Divuli finished 🥇 1st place")
    assert rig.check_posts(fake, expected, [TITLE], {}, Counter()).follower_dms_doubled == 1


def test_a_badge_stored_but_never_told_is_missing_and_one_told_twice_is_beyond() -> None:
    fake, expected = _scene()
    stored = Counter({("U0003", "spark"): 1, ("U0004", "voice"): 2})
    _post(fake, "DU0003", "22.0", "🎖️ You earned 💡 Spark")
    _post(fake, "DU0004", "23.0", "🎖️ You earned 🗳️ Voice")
    checked = rig.check_posts(fake, expected, [TITLE], {}, stored)
    # Voice was earned in two challenges: one of its two messages never came
    assert (checked.badge_dms, checked.badge_dms_doubled, checked.badge_dms_missing) == (2, 0, 1)
    _post(fake, "DU0004", "24.0", "🎖️ You earned 🗳️ Voice")
    _post(fake, "DU0003", "25.0", "🎖️ You earned 💡 Spark")
    checked = rig.check_posts(fake, expected, [TITLE], {}, stored)
    assert (checked.badge_dms, checked.badge_dms_doubled, checked.badge_dms_missing) == (4, 1, 0)
