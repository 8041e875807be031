"""The brand report's chart: votes and ideas per day, and the leading ideas (PNG); while
tallies are sealed, no leaders."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from babel.dates import format_skeleton

from bot import i18n
from bot.i18n import _


def _plain(text: str) -> str:
    """Chart fonts have no emoji: keep letters, digits and common punctuation."""
    return "".join(ch for ch in text if ord(ch) < 0x2000).strip() or "?"


def _day(d: date) -> str:
    """`05 Mar`, as the language in force writes a day of a month."""
    tag = i18n.current()
    if tag == i18n.DEFAULT:
        return f"{d:%d %b}"
    return format_skeleton("ddMMM", d, locale=tag.replace("-", "_"))


def activity_chart(
    title: str,
    days: Sequence[date],
    votes: Sequence[int],
    ideas: Sequence[int],
    leaders: Sequence[tuple[str, int]],
    *,
    sealed: bool = False,
) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 6), dpi=100, layout="constrained")
    daily, ranking = figure.subplots(2, 1, height_ratios=(3, 2))
    x = list(range(len(days)))
    daily.bar(x, list(votes), color="#4c72b0", label=_("votes"))
    daily.plot(x, list(ideas), color="#dd8452", marker="o", label=_("ideas"))
    daily.set_xticks(x, [_day(d) for d in days], rotation=45, ha="right", fontsize=8)
    daily.set_title(_plain(_("{title}: votes and ideas per day", title=title)))
    daily.legend(loc="upper left")
    shown = () if sealed else leaders
    names = [_plain(name)[:40] for name, _count in shown][::-1]
    empty = _("(sealed until the close)") if sealed else _("(no ideas yet)")
    ranking.barh(names or [empty], [n for _name, n in shown][::-1] or [0], color="#55a868")
    ranking.set_title(_("Leading ideas (votes)"))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
