"""The benchmarks' own figures: the command benchmark counts a command the bot never
answered, rather than waiting for it forever or timing it as answered at zero; the vote
benchmark's statement tally sees the statements that go straight to the driver; the
results benchmark loads the same consistent data on both backends and shows the plans of
the statements it times."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import results
from bench.discord_commands import figures_of
from bench.votes import StatementTally
from storage.database import SqlDatabase
from storage.hot_votes import SqliteHot
from tests.conftest import _require_postgres, postgres_url
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


#: what the load writes and what the triggers sum from it, and what the queries return
_SAME_ON_BOTH = (
    "members",
    "ideas",
    "votes",
    "member_week_points_rows",
    "received_points_rows",
    "member_month_points_rows",
    "received_month_points_rows",
    "top10_rows",
    "full_standings_rows",
    "leaderboard_rows",
    "leaderboard_command_rows",
    "results_command_rows",
    "leaderboard_seen",
)


async def test_the_results_benchmark_loads_the_same_consistent_data_on_both_backends(
    tmp_path: Path,
) -> None:
    """`bench/results.py --database` loads with COPY, ideas before their votes, what the
    SQLite load writes with the ideas after: the same rows, the invariants hold, the
    months summed by the triggers, and a plan printed for each timed statement."""
    sizes = results.Sizes(members=40, ideas=60, votes=500)
    once = results.Repeats(top10=1, full=1, leaderboard=1, leaderboard_command=1, results_command=1)
    runs: dict[str, dict[str, Any]] = {}
    (tmp_path / "sqlite").mkdir()
    runs["sqlite"] = await results.run(sizes, once, tmp_path / "sqlite", history_years=1)
    await _require_postgres(postgres_url())
    (tmp_path / "postgresql").mkdir()
    runs["postgresql"] = await results.run(
        sizes, once, tmp_path / "postgresql", history_years=1, database=postgres_url()
    )
    for backend, figures in runs.items():
        assert figures["backend"] == backend
        assert figures["votes"] == 500 and figures["ideas"] == 60
        assert figures["ideas_with_wrong_vote_count"] == 0
        assert figures["self_votes"] == 0
        assert figures["points_received_minus_votes"] == 0
        assert figures["points_cast_minus_votes"] == 0
        assert figures["leaderboard_by_month"] is True
        assert figures["member_month_points_rows"] > 0
        for plan in ("top10_plan", "leaderboard_plan", "participation_plan"):
            assert figures[plan], f"{backend}: no {plan}"
    sqlite, pg = runs["sqlite"], runs["postgresql"]
    assert {k: sqlite[k] for k in _SAME_ON_BOTH} == {k: pg[k] for k in _SAME_ON_BOTH}
