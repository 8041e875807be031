"""Errors a user caused: each becomes a short, friendly, specific reply."""


class UserError(Exception):
    """Something the person can fix; the message says what happened and what to do."""

    def __init__(self, message: str, *, title: str = "That didn't work") -> None:
        super().__init__(message)
        self.message = message
        self.title = title


class PermissionDenied(UserError):
    def __init__(self, message: str) -> None:
        super().__init__(message, title="Moderators only")


class StorageUnavailable(Exception):
    """The database did not answer (down, unreachable, or its connection broke): nothing
    of the transaction was committed, and trying again later may succeed."""


class StorageConflict(Exception):
    """The database aborted the transaction to settle a conflict with another one (a
    deadlock, a serialisation failure): nothing was committed; run it again."""
