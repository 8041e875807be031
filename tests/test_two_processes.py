"""Two `cocreate run` processes share one PostgreSQL database: a short version of
bench/scale.py, with its checks as assertions (and no figure of speed)."""

from __future__ import annotations

from bench import chaos_rig as rig
from bench.scale import setup
from tests.conftest import _require_postgres


async def test_two_processes_take_the_load_with_nothing_lost_or_doubled() -> None:
    await _require_postgres(rig.SHARED_PG + "/postgres")
    result = await setup(processes=2, events=300, ideas=4, seed=5)
    assert result["events_acknowledged"] == result["events_generated"] == 300
    assert result["votes_stored"] == result["votes_truth"] > 0
    assert (result["lost"], result["doubled"], result["vote_count_mismatch"]) == (0, 0, 0)
    assert result["posts_made"] == result["posts_due"] > 0
    assert (result["posts_missing"], result["posts_doubled"]) == (0, 0)
    assert (result["tracebacks"], result["error_lines"]) == (0, 0)
