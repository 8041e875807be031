"""The buttons of a review post, the same on every platform: each runs a moderator
command as the member who clicked (so the core's permission check decides), and the post
then shows who decided what."""

from __future__ import annotations

from enum import StrEnum

from bot.messages import OptionValue


class ReviewAction(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"

    @property
    def label(self) -> str:
        return "Approve" if self is ReviewAction.APPROVE else "Reject"

    @property
    def command(self) -> tuple[str, ...]:
        """`/mod approve #n` or `/mod reject #n [reason]`."""
        return ("mod", self.value)

    def options(self, number: int, reason: str = "") -> dict[str, OptionValue]:
        chosen: dict[str, OptionValue] = {"idea": number}
        if reason and self is ReviewAction.REJECT:
            chosen["reason"] = reason
        return chosen

    def verdict(self, who: str) -> str:
        """What the review post says once decided."""
        done = "✅ Approved" if self is ReviewAction.APPROVE else "🚫 Rejected"
        return f"{done} by {who}"
