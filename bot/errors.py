"""Errors a user caused: each becomes a short, friendly, specific reply. And the one reply
for an error on our side."""

from __future__ import annotations

import logging
import sys
import uuid

from bot.i18n import _
from bot.messages import Card, Reply


class UserError(Exception):
    """Something the person can fix; the message says what happened and what to do."""

    def __init__(self, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: raised in the language of the answer: the default title is written in it too
        self.title = title if title is not None else _("That didn't work")


class PermissionDenied(UserError):
    def __init__(self, message: str) -> None:
        super().__init__(message, title=_("Moderators only"))


class StorageUnavailable(Exception):
    """The database did not answer (down, unreachable, or its connection broke): nothing
    of the transaction was committed, and trying again later may succeed."""


class StorageConflict(Exception):
    """The database aborted the transaction to settle a conflict with another one (a
    deadlock, a serialisation failure): nothing was committed; run it again."""


def failure(err: BaseException, limit: int = 500) -> str:
    """What a failure is recorded as (a post's, a notice's, a follow-up's last error): its
    type and message, cut to `limit` characters."""
    return f"{type(err).__name__}: {err}"[:limit]


def internal_error(logger: logging.Logger, what: str, *args: object) -> Reply:
    """For the unexpected exception being handled: logs it under a new error id (`what`
    says where, %-style with `args`), and returns the reply that gives the member the id."""
    error_id = uuid.uuid4().hex[:8]
    logger.exception(f"error %s {what}", error_id, *args, extra={"error_id": error_id})
    return internal_error_reply(error_id)


def log_failure(logger: logging.Logger, what: str, *args: object) -> None:
    """For the exception being handled by background work (`what` says what failed,
    %-style with `args`): a database that is not answering is what an outage looks like,
    so it is one warning line; anything else is an error, with its traceback."""
    err = sys.exc_info()[1]
    if isinstance(err, StorageUnavailable):
        logger.warning(f"{what}: the database is not answering (%s)", *args, err)
    else:
        logger.exception(what, *args)


def internal_error_reply(error_id: str | None = None) -> Reply:
    """Every platform's answer to an error on our side (with its id, once logged)."""
    tell = (
        _(
            "Nothing was changed. Please try again; if it keeps failing, tell a moderator "
            "the error id {error_id}.",
            error_id=error_id,
        )
        if error_id
        else _("Nothing was changed. Please try again.")
    )
    card = Card(_("Something went wrong on our side"), tell)
    return Reply(card, error_id=error_id, ok=False)
