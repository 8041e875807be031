"""`cocreate demo`: a two-week challenge with simulated members, in a throwaway folder.

It is a console script run against a clock that starts on a Monday morning, so every
post (announcement, weekly results, brand report, final results) comes out as it would
in a community, in seconds instead of weeks.
"""

from __future__ import annotations

import random
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bot.settings import Settings, load_settings

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday morning

IDEAS = [
    ("ana", "Salted caramel crunch", "Caramel ice cream with crunchy salted bits."),
    ("ben", "Mint chocolate chip", "Fresh mint with dark chocolate chips."),
    ("cleo", "Crunchy salted caramel", "Salted caramel ice cream with a crunch."),
    ("dev", "Mango lassi", "Mango, yoghurt and a hint of cardamom."),
    ("eli", "Pistachio rose", "Sicilian pistachio with rose petals."),
    ("fay", "Black sesame", "Toasted black sesame, nutty and smooth."),
    ("gus", "Lemon meringue pie", "Lemon curd ripple with meringue pieces."),
    ("hana", "Matcha white chocolate", "Matcha with white chocolate flakes."),
]
MEMBERS = [author for author, _, _ in IDEAS] + ["ivo", "jo", "kai", "lu"]


def demo_lines(seed: int = 7) -> list[str]:
    """The demo's console script; the same seed gives the same story."""
    rng = random.Random(seed)
    lines = [
        "# Day 0, Monday: the brand's moderator opens a challenge.",
        ":as Maya --mod",
        '/challenge create title:"Next ice cream flavour" brief:"Which flavour should we '
        'launch this summer? Submit your idea and vote for your favourites with 👍." '
        'terms:"Ideas may be used by the brand." submissions_close:7d voting_close:14d '
        "report_venue:brand-team",
        "/challenge open next-ice-cream-flavour",
    ]
    for author, title, description in IDEAS:
        lines += [
            f":as {author.title()}",
            f'/idea submit title:"{title}" description:"{description}" accept_terms:yes',
            ":advance 9h",
        ]
    lines.append("# Members vote with reactions over the next days.")
    for _ in range(3):
        for member in rng.sample(MEMBERS, 7):
            lines.append(f":as {member.title()}")
            lines += [f":react #{n}" for n in rng.sample(range(1, len(IDEAS) + 1), 3)]
        lines.append(":advance 1d")
    lines += [
        "# A moderator merges the duplicate: its votes move, once per member.",
        ":as Maya --mod",
        "/mod merge #3 into:#1",
        "# Monday 09:00: the weekly results and the brand report come out on their own.",
        ":advance 2d",
        ":as Maya --mod",
        "/mod status #5 shortlisted Our R&D team is tasting it",
    ]
    for member in rng.sample(MEMBERS, 8):
        lines.append(f":as {member.title()}")
        lines += [f":react #{n}" for n in rng.sample([1, 2, 4, 5, 6, 7, 8], 2)]
    lines += [
        ":as Ivo",
        ":unreact #2",
        "# The second week passes: voting closes and the final results come out.",
        ":advance 8d",
        ":as Lu",
        "/leaderboard period:all",
        "/badges Ana",
        ":as Maya --mod",
        "/export next-ice-cream-flavour",
    ]
    return lines


def demo_settings(folder: Path | None = None) -> Settings:
    """Default settings on a data folder of its own (a new temporary one by default)."""
    folder = folder or Path(tempfile.mkdtemp(prefix="cocreate-demo-"))
    return load_settings(
        environ={"COCREATE_CORE__DATA_DIR": str(folder), "COCREATE_CONSOLE__CHANNEL": "ideas"}
    )
