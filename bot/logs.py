"""Log lines: as text for a terminal, or one JSON object per line for a log pipeline.

What a line is about (the command, community, challenge, and the id of an internal
error) is set once where the work starts, with `about(...)`, and every line logged within
it carries those fields: as `key=value` after a text line, as keys of a JSON line.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime

#: The fields a log line can carry, in this order.
FIELDS = ("command", "community", "challenge", "error_id")

_about: ContextVar[tuple[tuple[str, object], ...]] = ContextVar("cocreate_log", default=())


@contextlib.contextmanager
def about(**fields: object) -> Iterator[None]:
    """Log lines within this block carry these fields (None values are left out)."""
    merged = {**dict(_about.get()), **{k: v for k, v in fields.items() if v is not None}}
    token = _about.set(tuple(merged.items()))
    try:
        yield
    finally:
        _about.reset(token)


def note(**fields: object) -> None:
    """Within an `about` block: what it is about, learnt on the way (the challenge a
    command resolved); the block's end forgets it."""
    merged = {**dict(_about.get()), **{k: v for k, v in fields.items() if v is not None}}
    _about.set(tuple(merged.items()))


def _fields(record: logging.LogRecord) -> dict[str, object]:
    """The record's fields: those set by `about`, then any given as `extra=`."""
    out = dict(_about.get())
    out.update({k: getattr(record, k) for k in FIELDS if getattr(record, k, None) is not None})
    return {k: out[k] for k in FIELDS if k in out}


class TextFormatter(logging.Formatter):
    def __init__(self, with_time: bool = True) -> None:
        head = "%(asctime)s " if with_time else ""
        super().__init__(head + "%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = _fields(record)
        if not fields:
            return line
        first, newline, rest = line.partition("\n")
        tail = " ".join(f"{k}={v}" for k, v in fields.items())
        return f"{first} [{tail}]{newline}{rest}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the fields
    that apply, and the exception as text when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter(kind: str, with_time: bool = True) -> logging.Formatter:
    return JsonFormatter() if kind == "json" else TextFormatter(with_time)
