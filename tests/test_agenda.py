"""The agenda with an injected clock: deadlines, scheduled posts exactly once, catch-up,
grace, daylight saving, retries and two instances on one database."""

from __future__ import annotations

import asyncio
import io
import socket
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.core import Cocreate
from bot.cron import fire_times
from bot.messages import MODERATORS, PostKind
from bot.model import Community
from bot.settings import load_settings
from storage.database import SqlDatabase
from storage.store import SqlStore
from tests.harness import START, Harness

WEEKS = "submissions_close:7d voting_close:14d report_venue:brand"


def timeline(h: Harness) -> list[tuple[str, str, str]]:
    return [(s.post.kind.value, s.receipt.channel_id, s.post.card.title) for s in h.publisher.sent]


async def keys(db: SqlDatabase) -> dict[tuple[str, str], str]:
    async with db.transaction() as store:
        return {(p.kind, p.period): p.state for p in await store.scheduled_posts([1])}


async def test_a_two_week_challenge_posts_everything_once_in_order(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge(WEEKS)
    await h.submit("ana", "Salted caramel")
    await h.react(1, "ben")
    await h.app.agenda.travel(h.clock, h.clock.now() + timedelta(days=15))
    assert [(k, c) for k, c, _ in timeline(h) if k != "idea"] == [
        ("announcement", "general"),
        ("notice", "general"),  # submissions close in 24 hours, 8 March
        ("notice", "general"),  # submissions closed, 9 March
        ("results", "general"),  # weekly results, Monday 9 March 09:00
        ("report", "brand"),
        ("notice", "general"),  # voting closes in 24 hours, 15 March
        ("results", "general"),  # final results at the close, 16 March
        ("report", "brand"),
    ]
    titles = [t for k, _, t in timeline(h) if k == "results"]
    assert titles == ["📊 This week in Flavour", "🏆 Final results: Flavour"]
    # nothing more, however often the agenda runs
    await h.app.agenda.run_due()
    await h.app.agenda.travel(h.clock, h.clock.now() + timedelta(days=7))
    assert len(h.publisher.sent) == 9
    assert set((await keys(h.app.db)).values()) == {"sent"}


async def test_a_restart_mid_week_neither_repeats_nor_skips(
    database: SqlDatabase, new_harness: Callable[..., Harness]
) -> None:
    h = new_harness()
    await h.challenge(WEEKS)
    await h.app.agenda.travel(h.clock, h.clock.now() + timedelta(days=3))
    # a new process on the same database, same time
    again = Cocreate(database, h.settings, h.clock, {"test": h.publisher})
    await again.agenda.run_due()
    await again.agenda.travel(h.clock, h.clock.now() + timedelta(days=5))
    kinds = [k for k, _, _ in timeline(h)]
    # the reminder (8 March), submissions closed, a quiet week's results: no brand report
    assert kinds == ["announcement", "notice", "notice", "results"]
    await again.drain()


async def test_downtime_across_a_due_post_is_caught_up_once(
    database: SqlDatabase, new_harness: Callable[..., Harness]
) -> None:
    h = new_harness()
    await h.challenge("submissions_close:30d voting_close:30d")
    # down from Sunday evening until Monday 20:00: the 09:00 results are 11 hours late
    h.clock.advance(timedelta(days=7, hours=11))
    later = Cocreate(database, h.settings, h.clock, {"test": h.publisher})
    assert await later.agenda.run_due() == 1
    assert await later.agenda.run_due() == 0
    assert await keys(database) == {
        ("announce", "open"): "sent",
        ("weekly", "2026-03-09T09:00"): "sent",
    }
    await later.drain()


async def test_downtime_longer_than_the_grace_time_skips_and_records(
    database: SqlDatabase, new_harness: Callable[..., Harness]
) -> None:
    h = new_harness()
    await h.challenge("submissions_close:30d voting_close:30d")
    h.clock.advance(timedelta(days=15))  # the 9 and 16 March results: 6 days and 23 hours late
    later = Cocreate(database, h.settings, h.clock, {"test": h.publisher})
    assert await later.agenda.run_due() == 1
    assert await keys(database) == {
        ("announce", "open"): "sent",
        ("weekly", "2026-03-09T09:00"): "skipped",
        ("weekly", "2026-03-16T09:00"): "sent",  # 23 hours late: inside the grace time
    }
    await later.drain()


def test_daylight_saving_neither_doubles_nor_drops_a_post() -> None:
    start, end = datetime(2026, 3, 27, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC)
    spring = fire_times("30 2 * * *", "Europe/Paris", start, end)
    assert [slot for slot, _ in spring] == [
        "2026-03-27T02:30",
        "2026-03-28T02:30",
        "2026-03-29T02:30",  # 02:30 does not exist that night: it fires at 03:30
        "2026-03-30T02:30",
    ]
    assert spring[2][1] == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    autumn = fire_times(
        "30 2 * * *",
        "Europe/Paris",
        datetime(2026, 10, 24, tzinfo=UTC),
        datetime(2026, 10, 27, tzinfo=UTC),
    )
    assert [slot for slot, _ in autumn] == [
        "2026-10-24T02:30",
        "2026-10-25T02:30",
        "2026-10-26T02:30",
    ]
    assert autumn[1][1] == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the first of the two
    weekly = fire_times("0 9 * * mon", "Europe/Paris", start, start + timedelta(days=14))
    assert [at.hour for _, at in weekly] == [7, 7]  # 09:00 CEST both weeks


async def test_weekly_posts_across_a_dst_change(new_harness: Callable[..., Harness]) -> None:
    h = new_harness()
    await h.challenge(
        'submissions_close:35d voting_close:35d schedule:"30 2 * * sun" timezone:Europe/Paris'
    )
    for _ in range(34):  # a day at a time, as a running bot would see it
        await h.app.agenda.travel(h.clock, h.clock.now() + timedelta(days=1))
    weekly = sorted(p for (kind, p) in await keys(h.app.db) if kind == "weekly")
    assert weekly == [
        "2026-03-08T02:30",
        "2026-03-15T02:30",
        "2026-03-22T02:30",
        "2026-03-29T02:30",  # the night the clocks go forward
        "2026-04-05T02:30",
    ]
    assert [k for k, _, _ in timeline(h)].count("results") == 5


async def test_a_failed_send_is_retried_with_backoff_and_never_lost(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge("submissions_close:30d voting_close:30d")
    h.publisher.fail_next = 2
    h.clock.advance(timedelta(days=7))
    assert await h.app.agenda.run_due() == 0
    async with h.app.db.transaction() as store:
        (retry,) = [p for p in await store.pending_posts()]
    assert (retry.state, retry.attempts) == ("retry", 1)
    assert retry.next_attempt_at == h.clock.now() + timedelta(seconds=2)
    await h.app.agenda.travel(h.clock, h.clock.now() + timedelta(minutes=1))
    assert (await keys(h.app.db))[("weekly", "2026-03-09T09:00")] == "sent"
    assert [k for k, _, _ in timeline(h)].count("results") == 1


async def test_a_post_that_keeps_failing_is_retried_told_and_given_up_only_past_the_limit(
    new_harness: Callable[..., Harness], caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_settings(
        environ={
            "COCREATE_SCHEDULER__RETRY_ATTEMPTS": "3",
            "COCREATE_SCHEDULER__GIVE_UP_HOURS": "48",
        }
    )
    h = new_harness(settings)
    await h.challenge("submissions_close:30d voting_close:30d")
    h.publisher.fail_channels = {"general"}
    await h.app.agenda.travel(h.clock, h.clock.now() + timedelta(days=8))
    key = ("weekly", "2026-03-09T09:00")
    assert (await keys(h.app.db))[key] == "retry"  # a day of 5xx: still trying
    told = [p for p in h.publisher.of_kind(PostKind.NOTICE) if p.channel_id == MODERATORS]
    assert len(told) == 1, "the moderators are told once"
    assert (
        "the weekly results of 2026-03-09T09:00 in flavour could not be sent to general"
        in told[0].card.body
    )
    assert "/mod posts cancel:" in told[0].card.body
    listed = await h.ok("/mod posts")
    assert "the weekly results of 2026-03-09T09:00 in flavour · waiting to be tried again" in (
        listed.card.body
    )
    await h.app.agenda.travel(h.clock, h.clock.now() + timedelta(days=1, hours=1))
    assert (await keys(h.app.db))[key] == "failed"
    assert "gave up sending the weekly results of 2026-03-09T09:00 in flavour" in caplog.text
    # Back up: a moderator asks for another try, and it goes out once.
    h.publisher.fail_channels = set()
    post_id = (await h.ok("/mod posts")).card.body.split(" · ")[0]
    await h.ok(f"/mod posts retry:{post_id}")
    await h.app.agenda.run_due()
    assert (await keys(h.app.db))[key] == "sent"
    assert [p.card.title for p in h.publisher.of_kind(PostKind.RESULTS)].count(
        "👋 A quiet week in Flavour"  # a quiet week's nudge
    ) == 1


async def test_a_moderator_can_cancel_a_post_that_keeps_failing(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge("submissions_close:30d voting_close:30d")
    h.publisher.fail_channels = {"general"}
    await h.app.agenda.travel(h.clock, h.clock.now() + timedelta(days=7, hours=1))
    post_id = (await h.ok("/mod posts")).card.body.split(" · ")[0]
    assert "not waiting" in await h.refused("/mod posts cancel:99999")
    too_big = await h.refused("/mod posts retry:99999999999999999999")
    assert "the largest allowed is 9007199254740991" in too_big
    assert "Only moderators" in await h.refused(f"/mod posts cancel:{post_id}", "ana")
    await h.ok(f"/mod posts cancel:{post_id}")
    h.publisher.fail_channels = set()
    await h.app.agenda.travel(h.clock, h.clock.now() + timedelta(days=1))
    assert (await keys(h.app.db))[("weekly", "2026-03-09T09:00")] == "cancelled"
    assert "Every post has been sent" in (await h.ok("/mod posts")).card.body


async def test_a_failed_post_is_retried_by_the_next_process_after_a_restart(
    new_harness: Callable[..., Harness], database: SqlDatabase
) -> None:
    h = new_harness()
    await h.challenge("submissions_close:30d voting_close:30d")
    h.publisher.fail = True
    h.clock.advance(timedelta(days=7))
    assert await h.app.agenda.run_due() == 0  # the weekly results fail
    await h.submit("ana", "Salted caramel")  # its post fails too: kept for a retry
    await h.close()
    # A new process on the same database, with the platform back.
    after = new_harness()
    after.clock.advance_to(h.clock.now() + timedelta(minutes=5))
    await after.app.agenda.run_due()
    assert [p.idea_number for p in after.publisher.of_kind(PostKind.IDEA)] == [1]
    assert len(after.publisher.of_kind(PostKind.RESULTS)) == 1
    assert (await after.react(1, "ben")).effect == "vote added"
    await after.app.agenda.run_due()
    assert len(after.publisher.sent) == 2, "each post once"


async def test_a_send_that_died_with_its_process_is_taken_over_after_the_lease(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge("submissions_close:30d voting_close:30d")
    h.clock.advance(timedelta(days=7))
    async with h.app.db.transaction() as store:  # a claim whose process died mid-send
        challenge = (await store.challenges_by_ids({1}))[0]
        await store.claim_post(
            challenge.id, "weekly", "2026-03-09T09:00", h.clock.now(), "dead:1", h.clock.now()
        )
    assert await h.app.agenda.run_due() == 0
    h.clock.advance(timedelta(minutes=4))
    assert await h.app.agenda.run_due() == 1
    assert (await keys(h.app.db))[("weekly", "2026-03-09T09:00")] == "sent"


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_two_instances_on_one_postgresql_post_each_once(database: SqlDatabase) -> None:
    settings = load_settings(environ={})
    clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    h = Harness(database, settings)
    h.clock = clock
    h.app = Cocreate(database, settings, clock, {"test": h.publisher})
    await h.challenge(WEEKS)
    second = Cocreate(database, settings, clock, {"test": h.publisher})
    sent = 0
    for _ in range(16):
        clock.advance(timedelta(days=1))
        sent += sum(await asyncio.gather(h.app.agenda.run_due(), second.agenda.run_due()))
    states = await keys(database)
    assert states.pop(("report", "2026-03-09T09:00")) == "skipped"  # a quiet week
    assert set(states.values()) == {"sent"}
    assert sent == len(states) - 1  # all but the announcement, sent when the challenge opened
    kinds = [k for k, _, _ in timeline(h)]
    assert kinds.count("announcement") == 1
    assert kinds.count("notice") == 3  # two reminders, and submissions closed
    assert kinds.count("results") == 2  # one weekly, one final
    assert kinds.count("report") == 1
    await h.close()
    await second.drain()


async def test_exports_hold_the_rights_rows_and_the_chart_is_a_png(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge(WEEKS)
    await h.submit("ana", "=1+2", "Formula, with comma")
    await h.submit("ben", "Mint chip")
    await h.react(1, "ben")
    await h.ok("/idea withdraw #2", "ben")
    reply = await h.ok("/export flavour")
    (csv_file,) = reply.attachments
    text = csv_file.content.decode("utf-8-sig").splitlines()
    assert text[0].startswith(
        "number,title,description,status,status_note,merged_into,votes,author"
    )
    assert text[1].startswith('1,\'=1+2,"Formula, with comma",published,,,1,Ana,ana,no,')
    assert text[2].startswith("2,Mint chip,Tasty.,withdrawn,,,0,Ben,ben,no,")
    assert "only moderators" in (await h.refused("/export flavour", "ana", mod=False)).lower()
    data = (await h.ok("/export flavour format:json")).attachments[0]
    import json

    ideas = json.loads(data.content)["ideas"]
    assert [(i["number"], i["status"], i["votes"]) for i in ideas] == [
        (1, "published", 1),
        (2, "withdrawn", 0),
    ]
    await h.app.agenda.travel(h.clock, h.clock.now() + timedelta(days=8))
    (report,) = [s.post for s in h.publisher.sent if s.post.kind is PostKind.REPORT]
    png, csv_report = report.attachments
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n") and png.content_type == "image/png"
    from matplotlib import image

    assert image.imread(io.BytesIO(png.content)).shape[2] in (3, 4)
    assert csv_report.filename.endswith("-ideas.csv")
    fields = dict(report.card.fields)
    assert fields["New ideas"] == "2 (first week)"
    assert fields["Contributors"] == "0 returning members · 2 new members"


def weekly_figures(h: Harness) -> list[str]:
    """The "This week" line of every weekly results post, in order."""
    return [
        dict(p.card.fields)["This week"]
        for p in h.publisher.of_kind(PostKind.RESULTS)
        if p.card.title.startswith("📊 This week")
    ]


async def test_weekly_windows_tile_across_a_dst_change(new_harness: Callable[..., Harness]) -> None:
    """Monday 09:00 in Berlin is 08:00 UTC before the change and 07:00 UTC after: the week
    between is an hour short, and a vote in that hour is reported once."""
    h = new_harness()
    await h.challenge("timezone:Europe/Berlin")
    await h.submit("ana", "Alpha")
    await h.app.agenda.travel(h.clock, datetime(2026, 3, 23, 7, 30, tzinfo=UTC))
    await h.react(1, "ben")  # before the 08:00 UTC post of 23 March
    await h.app.agenda.travel(h.clock, datetime(2026, 3, 31, tzinfo=UTC))
    assert weekly_figures(h)[-1] == "0 new ideas · 1 voter · 1 vote"  # to 23 March, 09:00 CET
    assert h.publisher.sent[-1].post.card.title.startswith("👋")  # to 30 March: quiet


async def test_the_first_weekly_results_cover_everything_since_the_opening(
    new_harness: Callable[..., Harness],
) -> None:
    """Opened at 00:31 on a Monday, the 09:00 post that day comes too soon and is not
    made: the first post, a week later, reports from the opening on."""
    h = new_harness()
    h.clock.advance(timedelta(days=6, hours=15, minutes=31))  # Monday 00:31 UTC
    await h.challenge()
    await h.submit("ana", "Early bird")
    await h.react(1, "ben")
    await h.app.agenda.travel(h.clock, h.clock.now() + timedelta(days=8))
    assert weekly_figures(h) == ["1 new idea · 1 voter · 1 vote"]


async def test_a_close_during_a_long_downtime_still_gets_its_final_results(
    new_harness: Callable[..., Harness],
) -> None:
    """Down for longer than the window of recently closed challenges: the challenge closes
    at start-up, at its deadline long past, and still owes its podium."""
    h = new_harness()
    await h.challenge("submissions_close:1d voting_close:2d")
    await h.submit("ana", "Alpha")
    await h.react(1, "ben")
    h.clock.advance(timedelta(days=45))
    await h.app.agenda.run_due()
    states = await keys(h.app.db)
    assert states[("final", "final")] == "sent"
    assert states[("voting", "submissions-closed")] == "skipped"  # too late to matter
    (final,) = [p for p in h.publisher.of_kind(PostKind.RESULTS) if "Final" in p.card.title]
    assert "🥇 #1 Alpha — 1 vote" in final.card.body
    assert "Podium" in (await h.ok("/badges", "ana")).card.body
    assert await h.app.agenda.run_due() == 0  # once


async def test_a_regular_is_named_in_the_weekly_results_of_their_challenge(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.challenge()
    for title in ("Alpha", "Beta", "Gamma"):
        await h.submit("ana", title)
    for week, number in enumerate((1, 2, 3)):  # Ben votes in three weeks running
        await h.app.agenda.travel(h.clock, START + timedelta(days=7 * week, hours=1))
        await h.react(number, "ben")
    await h.app.agenda.travel(h.clock, START + timedelta(days=21, hours=1))
    weekly = [p for p in h.publisher.of_kind(PostKind.RESULTS) if "This week" in p.card.title]
    badges = [dict(p.card.fields).get("Badges this week", "") for p in weekly]
    assert ["📅 Regular — Ben" in b for b in badges] == [False, False, True]
    assert "📅 Regular" in (await h.ok("/badges", "ben")).card.body


async def test_a_send_whose_process_on_this_host_is_gone_is_taken_over_at_once(
    new_harness: Callable[..., Harness],
) -> None:
    """A crash while final results were being sent: the next start sends them right away,
    not a lease later."""
    h = new_harness()
    await h.challenge("submissions_close:30d voting_close:30d")
    h.clock.advance(timedelta(days=7))
    dead = subprocess.run(["true"], check=True)  # a pid that exited
    gone = subprocess.Popen(["true"])
    gone.wait()
    async with h.app.db.transaction() as store:
        (challenge,) = await store.challenges_by_ids({1})
        await store.claim_post(
            challenge.id,
            "weekly",
            "2026-03-09T09:00",
            h.clock.now(),
            f"{socket.gethostname()}:{gone.pid}:abc123",
            h.clock.now(),
        )
    assert dead.returncode == 0
    assert await h.app.agenda.next_due() == h.clock.now()
    assert await h.app.agenda.run_due() == 1
    assert (await keys(h.app.db))[("weekly", "2026-03-09T09:00")] == "sent"


async def test_a_command_post_is_sent_without_reading_its_community_again(
    new_harness: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command read the community that keeps the challenge, and wrote its post in that
    community's language: sending the post reads the community no more. A post whose
    first send failed is retried from its row, which reads it again."""
    h = new_harness()
    await h.challenge()
    reads: list[int] = []
    read = SqlStore.community_by_id

    async def counted(store: SqlStore, community_id: int) -> Community:
        reads.append(community_id)
        return await read(store, community_id)

    monkeypatch.setattr(SqlStore, "community_by_id", counted)
    await h.submit("ana", "Salted caramel")
    assert reads == []
    assert [t for k, _, t in timeline(h) if k == "idea"] == ["💡 #1 · Salted caramel"]

    h.publisher.fail_next = 1
    await h.submit("ben", "Mint")
    await h.app.agenda.travel(h.clock, h.clock.now() + timedelta(minutes=1))
    assert reads and set(reads) == {1}
    assert [t for k, _, t in timeline(h) if k == "idea"] == [
        "💡 #1 · Salted caramel",
        "💡 #2 · Mint",
    ]
