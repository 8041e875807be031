"""The benchmarks' own figures: the command benchmark counts a command the bot never
answered, rather than waiting for it forever or timing it as answered at zero; the vote
benchmark's statement tally sees the statements that go straight to the driver."""

from __future__ import annotations

from bench.discord_commands import figures_of
from bench.votes import StatementTally
from storage.database import SqlDatabase
from storage.hot_votes import SqliteHot
from tests.discord.fake import InteractionRecord
from tests.harness import Harness


def _record(n: int, sent: float, acked: float | None, answered: float | None) -> InteractionRecord:
    record = InteractionRecord(n, f"token-{n}", {}, sent)
    if acked is not None:
        record.callback = {"type": 4, "data": {"content": "ok"}}
        record.callback_at = acked
    record.answered_at = answered
    return record


def test_an_unanswered_command_is_counted_and_left_out_of_the_rates() -> None:
    records = [
        _record(1, 0.0, 0.1, 0.1),
        _record(2, 0.0, 0.2, 0.5),
        _record(3, 0.0, None, None),  # its acknowledgement was given up on
    ]
    figures = figures_of(records, started=0.0)
    assert figures["commands"] == 3
    assert figures["unanswered"] == 1
    assert figures["seconds"] == 0.5
    assert figures["per_s"] == 4.0  # the 2 answered, in 0.5 s
    assert figures["acks_per_s"] == 10.0  # 2 acks by 0.2 s
    assert figures["answer_p50_ms"] > 0
    assert figures["internal_errors"] == 0


async def test_the_vote_benchmark_times_the_statements_sent_to_the_driver(
    sqlite_database: SqlDatabase,
) -> None:
    """`bench/votes.py --statements` tallies the hot path's statements by name, and gives
    the store its own statements back when the delivery is over."""
    h = Harness(sqlite_database)
    await h.challenge()
    number = await h.submit("ann", "Mango")
    tally = StatementTally()
    tally.attach(h.app)
    try:
        assert (await h.react(number, "bob")).effect == "vote added"
    finally:
        tally.detach()
    await h.react(number, "cat")  # not counted: detached
    await h.close()
    assert tally.batches == 1 and tally.batch_seconds > 0
    assert tally.count["driver: add_votes"] == 1 and tally.count["driver: append_log"] == 1
    assert tally.seconds["driver: add_votes"] > 0
    assert SqliteHot.executemany.__qualname__ == "SqliteHot.executemany"
