"""The buttons of a review post, the same on every platform: each runs a moderator
command as the member who clicked (so the core's permission check decides), and the post
then shows who decided what."""

from __future__ import annotations

from enum import StrEnum

from bot.i18n import _
from bot.messages import OptionValue


class ReviewAction(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"

    @property
    def label(self) -> str:
        return _("Approve") if self is ReviewAction.APPROVE else _("Reject")

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
        if self is ReviewAction.APPROVE:
            return _("✅ Approved by {who}", who=who)
        return _("🚫 Rejected by {who}", who=who)
