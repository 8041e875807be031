"""results.weekly and results.final: the figures of the results posts, as data. While a
challenge is sealed, the weekly event names no idea's votes and no ranking, as the post
(the week's totals are given)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.digest import FINAL_LINES, WEEKLY_TOP, standings, week
from bot.model import PUBLIC_STATUSES, Challenge, Phase, Standing
from bot.webhooks.events import RESULTS_FINAL, RESULTS_WEEKLY, Data, challenge_data, emit, stamp
from bot.weeks import results_week

if TYPE_CHECKING:
    from bot.ports import Store


def _standing(s: Standing, *, final: bool) -> dict[str, Any]:
    """A line of the standings; podium places are given in the final results only."""
    line = {"rank": s.rank, "number": s.idea.number, "title": s.idea.title, "votes": s.votes}
    return {**line, "place": s.place} if final else line


async def weekly(store: Store, challenge: Challenge, period: str, due_at: datetime) -> int:
    """The week a weekly results post (claimed now) reports on."""

    async def data() -> Data:
        start, end = results_week(challenge, due_at)
        this = await week(store, challenge, start, end)
        sealed = challenge.settings.sealed and challenge.phase is not Phase.CLOSED
        top = [] if sealed else await standings(store, challenge, limit=WEEKLY_TOP)
        return {
            "challenge": challenge_data(challenge),
            "period": period,
            "week": {"start": stamp(start), "end": stamp(end)},
            "new_ideas": this.new_ideas,
            "votes_added": this.votes.added,
            "votes_removed": this.votes.removed,
            "voters": this.votes.voters,
            "top": [_standing(s, final=False) for s in top],
        }

    return await emit(
        store, challenge.community_id, RESULTS_WEEKLY, f"{challenge.id}:{period}", due_at, data
    )


async def final(store: Store, challenge: Challenge, now: datetime) -> int:
    """The final results, once per challenge (a retried post finds the event written)."""

    async def data() -> Data:
        ranked = await standings(store, challenge, limit=FINAL_LINES)
        ideas = await store.count_ideas(challenge.id, PUBLIC_STATUSES)
        voters, votes = await store.challenge_participation(challenge.id)
        entries, head = await store.chain(challenge.id)
        return {
            "challenge": challenge_data(challenge),
            "closed_at": stamp(challenge.closed_at),
            "standings": [_standing(s, final=True) for s in ranked],
            "ideas": ideas,
            "voters": voters,
            "votes": votes,
            "vote_log": {"entries": entries, "head": head},
        }

    return await emit(store, challenge.community_id, RESULTS_FINAL, str(challenge.id), now, data)
