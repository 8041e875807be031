"""`cocreate audit verify FILE`: check an exported vote log from the file alone."""

from __future__ import annotations

from pathlib import Path

from bot import votelog


def verify_file(path: Path, published_head: str | None = None) -> tuple[bool, list[str]]:
    """Recompute the chain and the standings of an exported vote log, and compare them with
    the summary in the file and, if given, the head hash published with the final results.
    Returns whether everything matches, and the lines to print."""
    try:
        entries, summary = votelog.load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        return False, [f"cannot read {path}: {err}"]
    claimed = summary.get("standings")
    standings = {int(k): int(v) for k, v in claimed.items()} if isinstance(claimed, dict) else None
    head = summary.get("head")
    verdict = votelog.verify(entries, head if isinstance(head, str) else None, standings)
    problems = list(verdict.problems)
    if published_head is not None and published_head != verdict.head:
        problems.append(f"the head hash is {verdict.head}, not the published {published_head}")
    lines = [
        f"chain: {'intact' if verdict.chain_ok else 'BROKEN'} "
        f"({verdict.entries} entries, head {verdict.head})",
        "standings: "
        + (
            ", ".join(f"#{i} {n}" for i, n in sorted(verdict.standings.items(), key=_ranked))
            or "no counted votes"
        ),
    ]
    lines += [f"problem: {p}" for p in problems]
    ok = verdict.chain_ok and not problems
    lines.append("verified: the log matches what was published" if ok else "NOT verified")
    return ok, lines


def _ranked(item: tuple[int, int]) -> tuple[int, int]:
    return -item[1], item[0]
