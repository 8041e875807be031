"""bench/targets.py holds each benchmark's JSON line against its targets: the verdicts
come from the figures, a missing figure or a failed run misses, and the line is found in
output that has other lines after the figures."""

from __future__ import annotations

import json

from bench.targets import RUNS, TARGETS, json_line, table, verdicts

VOTES_PG = {
    "events_per_s": 5_200.0,
    "p99_ms": 30.0,
    "first_tenth_per_s": 5_000.0,
    "last_tenth_per_s": 4_500.0,
    "baseline_per_s": 30_000.0,
}


def test_every_target_belongs_to_a_run_and_every_run_has_targets() -> None:
    runs = {r.key for r in RUNS}
    assert {t.run for t in TARGETS} == runs


def test_verdicts_follow_the_figures() -> None:
    found = {v.target.label: v for v in verdicts("votes-pg", VOTES_PG)}
    assert found["events/s"].met  # 5,200 ≥ 5,000
    assert not found["p99"].met  # 30 ms > 25 ms
    assert found["last tenth ÷ first"].value == 0.9
    assert found["last tenth ÷ first"].met
    assert round(found["÷ asyncpg executemany"].value or 0, 4) == 0.1733
    assert found["÷ asyncpg executemany"].met


def test_a_target_at_its_limit_is_met_either_way() -> None:
    at_limit = {**VOTES_PG, "events_per_s": 5_000.0, "p99_ms": 25.0}
    found = {v.target.label: v for v in verdicts("votes-pg", at_limit)}
    assert found["events/s"].met
    assert found["p99"].met


def test_a_missing_figure_misses_and_says_which() -> None:
    partial = {k: v for k, v in VOTES_PG.items() if k != "p99_ms"}
    found = {v.target.label: v for v in verdicts("votes-pg", partial)}
    assert found["p99"].value is None
    assert not found["p99"].met
    assert "p99_ms" in found["p99"].why
    assert found["events/s"].met


def test_a_failed_run_misses_every_target_with_its_reason() -> None:
    found = verdicts("two-processes", None, "exit status 1, see x.log")
    assert len(found) == 5
    assert all(not v.met and v.why == "exit status 1, see x.log" for v in found)


def test_zero_lost_is_met_and_one_is_not() -> None:
    clean = {"ratio": 0.9, "lost": 0, "doubled": 0, "posts_missing": 0, "posts_doubled": 0}
    found = {v.target.label: v.met for v in verdicts("two-processes", clean)}
    assert found == {
        "2 processes ÷ 1": False,
        "votes lost": True,
        "votes doubled": True,
        "posts missing": True,
        "posts doubled": True,
    }
    assert not {v.target.label: v.met for v in verdicts("two-processes", {**clean, "lost": 1})}[
        "votes lost"
    ]


def test_the_last_json_object_of_the_output_is_taken() -> None:
    output = "\n".join(
        [
            "setup …",
            json.dumps({"benchmark": "votes", "events_per_s": 1}),
            "  peak RSS  120 MB",
            json.dumps({"benchmark": "votes", "events_per_s": 2}),
            "[1, 2]",
            "{not json",
            "",
        ]
    )
    assert json_line(output) == {"benchmark": "votes", "events_per_s": 2}
    assert json_line("no figures here\n") is None


def test_the_table_shows_each_verdict() -> None:
    run = next(r for r in RUNS if r.key == "votes-pg")
    text = table([(run, verdicts("votes-pg", VOTES_PG))])
    assert "votes, PostgreSQL" in text
    assert "≥ 5,000" in text and "5,200" in text and "meets" in text
    assert "≤ 25 ms" in text and "MISSES" in text
