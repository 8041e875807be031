"""The texts of a challenge's ideas, kept in this process for the duplicate hint.

Every `/idea submit` compares its text with those of all the challenge's ideas, and
reading a thousand of them each time costs more than comparing them. Each change that
can alter them (an idea added, or changed: `SqlStore.add_idea`, `SqlStore.update_idea`)
raises its challenge's `ideas_version` and stamps the idea with the new version, in its
own transaction and in whichever process makes it. A reader reads the version first,
then only the ideas stamped after the version it holds: since a challenge's versions are
taken in turn under its row lock, every idea stamped up to the version read has
committed by then.

On PostgreSQL, submissions made at once commit in any order: an idea may arrive after
one submitted later. Each text is kept with its place in submission order as its rank
(`Candidates`), which decides the duplicate hint's ties, so that an idea that arrives late
is added like any other, not by preparing the challenge's texts all over again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from weakref import WeakKeyDictionary

from sqlalchemy.engine import Engine

from bot.text import Candidates

#: challenges kept per database
KEPT = 32

#: (id, submitted at, number, status, "title description") of an idea
Row = tuple[int, datetime, int, str, str]
#: (number, "title description") of the ideas, prepared for the duplicate hint
Texts = Candidates[int]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _rank(row: Row) -> int:
    """An idea's place in submission order (its time, then its number), as one number."""
    return (row[1] - _EPOCH) // _MICROSECOND << 32 | row[2]


class ChallengeTexts:
    """One challenge's ideas as of `version`, and their texts by set of statuses,
    ranked by submission (time, then number), prepared for the duplicate hint."""

    def __init__(self, version: int) -> None:
        self.version = version
        self._ideas: dict[int, Row] = {}
        self._lists: dict[frozenset[str], Texts] = {}

    def merge(self, version: int, rows: Iterable[Row]) -> None:
        """The ideas stamped since the version held, as of `version`; one already held
        as it is changes nothing, so its lists are kept."""
        changed = False
        for row in rows:
            before = self._ideas.get(row[0])
            if before == row:
                # Read again as it was: stamped after the version read with it last time
                # (on PostgreSQL another transaction may commit in between), not changed.
                continue
            self._ideas[row[0]] = row
            if before is not None:
                changed = True
            elif not changed:
                for statuses, texts in self._lists.items():
                    if row[3] in statuses:
                        texts.append(row[2], row[4], _rank(row))
        if changed:  # an idea edited or moved to another status: lists made again
            self._lists.clear()
        self.version = version

    def texts(self, statuses: frozenset[str]) -> Texts:
        found = self._lists.get(statuses)
        if found is None:
            found = self._lists[statuses] = Candidates()
            for row in self._ideas.values():
                if row[3] in statuses:
                    found.append(row[2], row[4], _rank(row))
        return found


class KeptTexts:
    """The challenges of one database, the least recently used going first."""

    def __init__(self) -> None:
        self._kept: OrderedDict[int, ChallengeTexts] = OrderedDict()

    def get(self, challenge_id: int) -> ChallengeTexts | None:
        found = self._kept.get(challenge_id)
        if found is not None:
            self._kept.move_to_end(challenge_id)
        return found

    def put(self, challenge_id: int, texts: ChallengeTexts) -> None:
        self._kept[challenge_id] = texts
        self._kept.move_to_end(challenge_id)
        while len(self._kept) > KEPT:
            self._kept.popitem(last=False)


_by_database: WeakKeyDictionary[Engine, KeptTexts] = WeakKeyDictionary()


def kept_for(engine: Engine) -> KeptTexts:
    """The texts kept for one database (by its engine: they go with it)."""
    found = _by_database.get(engine)
    if found is None:
        found = _by_database[engine] = KeptTexts()
    return found
