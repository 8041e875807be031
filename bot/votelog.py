"""The vote log of a challenge: every change to its votes, in order, each entry chained to
the one before by a SHA-256 hash, so that a published result can be checked by anyone.

Every reaction event and its effect is an entry (counted, ignored with the reason,
removed, stale), and so is every change a moderator or a read-back makes to the counted
votes (moved by a merge, voided, restored, changed by reconciliation). `counted` says
how the entry changed the counted votes of the idea it credits (the idea itself, or the
one it is merged into): +1, -1 or 0. Standings are the sums; a period's figures are the
entries recorded in it, so periods that tile the challenge add up to the final totals.

Members appear as a keyed hash (HMAC-SHA256 with a key of their community), so the log
can be shared without naming anyone. The entry as exported is exactly what is hashed:
`verify` needs nothing but the file.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

#: The hash before the first entry.
GENESIS = "0" * 64
#: How an entry is written to be hashed: compact JSON, keys sorted, ASCII only.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


@functools.lru_cache(maxsize=1 << 16)
def pseudonym(key: str, member_id: int) -> str:
    """A member as the log names them: the same member, the same name, within a community."""
    digest = hmac.new(key.encode(), str(member_id).encode(), hashlib.sha256).hexdigest()
    return digest[:20]


@dataclass(frozen=True)
class Entry:
    """One line of the log, as exported and hashed."""

    seq: int
    at: str
    #: the idea the entry is about (its number)
    idea: int
    #: the idea whose counted votes it changes (the family head), or None
    credited: int | None
    member: str | None
    action: str
    source: str
    effect: str
    counted: int
    prev: str

    def canonical(self) -> bytes:
        # The fields by name in sorted order, as `json.dumps(asdict(self), sort_keys=True)`
        # would give them (`asdict` and a new encoder per entry are slow on the vote path).
        return _CANONICAL(
            {
                "action": self.action,
                "at": self.at,
                "counted": self.counted,
                "credited": self.credited,
                "effect": self.effect,
                "idea": self.idea,
                "member": self.member,
                "prev": self.prev,
                "seq": self.seq,
                "source": self.source,
            }
        ).encode()

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()

    def as_json(self) -> dict[str, object]:
        return {**asdict(self), "hash": self.hash}


@dataclass(frozen=True)
class Change:
    """An entry before it has its place in the chain."""

    at: datetime
    idea: int
    credited: int | None
    member: str | None
    action: str
    source: str
    effect: str
    counted: int = 0


def chain(seq: int, prev: str, changes: Iterable[Change]) -> list[Entry]:
    """Entries after entry number `seq` whose hash is `prev`."""
    out = []
    for change in changes:
        seq += 1
        entry = Entry(
            seq=seq,
            at=change.at.isoformat(timespec="microseconds"),
            idea=change.idea,
            credited=change.credited,
            member=change.member,
            action=change.action,
            source=change.source,
            effect=change.effect,
            counted=change.counted,
            prev=prev,
        )
        prev = entry.hash
        out.append(entry)
    return out


def standings(entries: Iterable[Entry]) -> dict[int, int]:
    """Counted votes by idea number, from the entries alone."""
    counts: Counter[int] = Counter()
    for e in entries:
        if e.credited is not None and e.counted:
            counts[e.credited] += e.counted
    return {idea: n for idea, n in counts.items() if n}


@dataclass(frozen=True)
class Figures:
    """What a period's entries did to the counted votes: "+7 −3"."""

    added: int
    removed: int
    voters: int

    @property
    def net(self) -> int:
        return self.added - self.removed

    def text(self) -> str:
        if not self.removed:
            return f"+{self.added}"
        return f"+{self.added} −{self.removed}"


def figures(entries: Iterable[Entry]) -> Figures:
    added = removed = 0
    voters: set[str] = set()
    for e in entries:
        if e.counted > 0:
            added += e.counted
            if e.member is not None:
                voters.add(e.member)
        elif e.counted < 0:
            removed -= e.counted
    return Figures(added, removed, len(voters))


@dataclass(frozen=True)
class Verdict:
    chain_ok: bool
    entries: int
    head: str
    standings: dict[int, int]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.chain_ok and not self.problems


def verify(
    entries: Sequence[Mapping[str, object]],
    claimed_head: str | None = None,
    claimed_standings: Mapping[int, int] | None = None,
) -> Verdict:
    """Recompute the chain and the standings from exported entries; compare them with what
    was published."""
    problems: list[str] = []
    prev = GENESIS
    chain_ok = True
    parsed: list[Entry] = []
    held: Counter[tuple[int, str | None]] = Counter()
    for n, raw in enumerate(entries, start=1):
        try:
            entry = Entry(**{k: v for k, v in raw.items() if k != "hash"})  # type: ignore[arg-type]
        except TypeError as err:
            problems.append(f"entry {n}: not a vote log entry ({err})")
            chain_ok = False
            break
        if entry.seq != n or entry.prev != prev or raw.get("hash") != entry.hash:
            problems.append(f"entry {n}: the chain breaks here")
            chain_ok = False
            break
        if entry.credited is not None and entry.counted:
            held[(entry.credited, entry.member)] += entry.counted
            if held[(entry.credited, entry.member)] not in (0, 1):
                problems.append(f"entry {n}: a member counted twice for #{entry.credited}")
        prev = entry.hash
        parsed.append(entry)
    counted = standings(parsed)
    if claimed_head is not None and claimed_head != prev:
        problems.append(f"the head hash is {prev}, not the published {claimed_head}")
    if claimed_standings is not None and dict(claimed_standings) != counted:
        differ = sorted(
            i
            for i in set(counted) | set(claimed_standings)
            if counted.get(i, 0) != claimed_standings.get(i, 0)
        )
        problems.append("the standings differ for " + ", ".join(f"#{i}" for i in differ))
    return Verdict(chain_ok, len(parsed), prev, counted, tuple(problems))


def dump(entries: Sequence[Entry], summary: Mapping[str, object]) -> bytes:
    """The log as JSON Lines: one entry per line, then a line with what was published."""
    lines = [json.dumps(e.as_json(), ensure_ascii=False) for e in entries]
    lines.append(json.dumps({"summary": summary}, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode()


def load(text: str) -> tuple[list[dict[str, object]], dict[str, object]]:
    """Entries and the summary of a file that `dump` wrote; ValueError if it is not one."""
    entries: list[dict[str, object]] = []
    summary: dict[str, object] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f"line {n} is not JSON: {err.msg}") from None
        if not isinstance(record, dict):
            raise ValueError(f"line {n} is not a JSON object")
        if "summary" in record and isinstance(record["summary"], dict):
            summary = record["summary"]
        else:
            entries.append(record)
    return entries, summary
