"""The command benchmark's figures count a command the bot never answered, rather than
waiting for it forever or timing it as answered at zero."""

from __future__ import annotations

from bench.discord_commands import figures_of
from tests.discord.fake import InteractionRecord


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
