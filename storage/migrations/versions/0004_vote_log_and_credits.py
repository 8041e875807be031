"""The verifiable vote log (each challenge's entries chained by SHA-256, with what each one
did to the counted votes), voided votes, points from anonymous ideas kept apart, and the
votes credited to authors kept per challenge.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from bot.votelog import GENESIS, Change, chain, pseudonym
from bot.weeks import week_of

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PUBLIC = (
    "published",
    "shortlisted",
    "planned",
    "in progress",
    "implemented",
    "declined",
)


#: Statuses of ideas that gave their publication points back (withdrawn, or rejected
#: after they were published).
UNPUBLISHED = ("withdrawn", "rejected")

#: (credited idea, recorded at, counted) of a challenge's log entries that changed counted
#: votes, as `Store.counted_log` reads them.
Counted = list[tuple[int, datetime, int]]


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _when(value: object) -> datetime:
    """A time as a raw query returns it: aware from PostgreSQL, naive UTC (or a string of
    it) from SQLite."""
    if isinstance(value, datetime):
        return _aware(value)
    return _aware(datetime.fromisoformat(str(value)))


def upgrade() -> None:
    bind = op.get_bind()
    # SQLite gets the column NOT NULL in place: recreating communities drops the table, and
    # with foreign keys on, that deletes every row that cascades from it (all the data).
    sqlite = bind.dialect.name == "sqlite"
    with op.batch_alter_table("communities", recreate="auto") as batch:
        batch.add_column(
            sa.Column(
                "audit_key",
                sa.String(length=64),
                nullable=not sqlite,
                server_default="" if sqlite else None,
            )
        )
    keys = {}
    for (community_id,) in bind.execute(sa.text("SELECT id FROM communities")):
        keys[community_id] = secrets.token_hex(32)
        bind.execute(
            sa.text("UPDATE communities SET audit_key = :k WHERE id = :i"),
            {"k": keys[community_id], "i": community_id},
        )
    if not sqlite:
        with op.batch_alter_table("communities", recreate="auto") as batch:
            batch.alter_column("audit_key", existing_type=sa.String(length=64), nullable=False)

    # A constant default on SQLite, which else recreates challenges (dropping it, as above).
    with op.batch_alter_table("challenges", recreate="auto") as batch:
        batch.add_column(
            sa.Column(
                "multiple_places",
                sa.Boolean(),
                nullable=False,
                server_default="0" if sqlite else sa.false(),
            )
        )

    with op.batch_alter_table("votes", recreate="auto") as batch:
        batch.add_column(
            sa.Column("voided", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    counted = _vote_log(bind, keys)

    op.create_table(
        "voids",
        sa.Column("challenge_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("by_id", ID, nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenges.id"],
            name=op.f("fk_voids_challenge_id_challenges"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_voids_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["by_id"], ["members.id"], name=op.f("fk_voids_by_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("challenge_id", "member_id", name=op.f("pk_voids")),
    )

    op.create_table(
        "received_points",
        sa.Column("community_id", ID, nullable=False),
        sa.Column("challenge_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_received_points_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenges.id"],
            name=op.f("fk_received_points_challenge_id_challenges"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_received_points_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "challenge_id", "member_id", "week", "private", name=op.f("pk_received_points")
        ),
    )
    op.create_index("ix_received_points_week", "received_points", ["community_id", "week"])
    _credit(bind, counted)
    with op.batch_alter_table("member_week_points", recreate="auto") as batch:
        batch.add_column(
            sa.Column("private", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.drop_column("votes_received")
        batch.drop_constraint("pk_member_week_points", type_="primary")
        batch.create_primary_key(
            "pk_member_week_points", ["community_id", "member_id", "week", "private"]
        )
    _private_publications(bind)
    # The leaderboard's sums, member by member, from these indexes alone (covering).
    op.create_index(
        "ix_member_week_points_totals",
        "member_week_points",
        ["community_id", "private", "member_id", "week", "ideas_published", "votes_cast", "bonus"],
    )
    op.create_index(
        "ix_received_points_totals",
        "received_points",
        ["community_id", "private", "member_id", "week", "votes"],
    )
    # The participation line of /results: public ideas and their votes, from the index.
    op.create_index("ix_ideas_status", "ideas", ["challenge_id", "status", "vote_count"])
    # The reaction writer reads a batch's reactions member by member.
    op.create_index("ix_reaction_states_member", "reaction_states", ["member_id", "post_id"])


def _vote_log(bind: sa.engine.Connection, keys: dict[int, str]) -> dict[int, Counted]:
    """The reaction log becomes the vote log: entries numbered and chained per challenge,
    and each idea's count what its entries count. Returns each challenge's entries that
    changed counted votes."""
    with op.batch_alter_table("reaction_log", recreate="auto") as batch:
        batch.add_column(sa.Column("challenge_id", ID, nullable=True))
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("counted", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("credited_idea_id", ID, nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
        batch.alter_column("post_id", existing_type=ID, nullable=True)
        batch.alter_column("effect", existing_type=sa.String(length=32), type_=sa.String(48))
    rows = bind.execute(
        sa.text(
            "SELECT l.id, l.community_id, i.challenge_id, i.id AS idea_id, i.number, "
            "l.member_id, l.action, l.source, l.effect, l.recorded_at "
            "FROM reaction_log l JOIN ideas i ON i.id = l.idea_id ORDER BY l.id"
        )
    ).all()
    by_challenge: dict[int, list[sa.Row[tuple[object, ...]]]] = {}
    for r in rows:
        by_challenge.setdefault(r.challenge_id, []).append(r)
    op.create_table(
        "vote_chains",
        sa.Column("challenge_id", ID, nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenges.id"],
            name=op.f("fk_vote_chains_challenge_id_challenges"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("challenge_id", name=op.f("pk_vote_chains")),
    )
    # Entries that make the log count what the ranking counted: 0002 logged votes on the
    # idea reacted to, but a merged idea's votes count (once per member) for its head.
    now = datetime.now(UTC)
    numbers = {int(i): int(n) for i, n in bind.execute(sa.text("SELECT id, number FROM ideas"))}
    log = sa.table(
        "reaction_log",
        *(sa.column(c) for c in ("community_id", "challenge_id", "seq", "idea_id")),
        *(sa.column(c) for c in ("member_id", "action", "emoji", "source", "effect")),
        *(sa.column(c) for c in ("counted", "credited_idea_id", "hash")),
        sa.column("occurred_at", WHEN),
        sa.column("recorded_at", WHEN),
    )
    credits: dict[int, Counted] = {}
    # Every challenge: one with votes and no entries gets its votes from corrections.
    for challenge_id, community_id in bind.execute(
        sa.text("SELECT id, community_id FROM challenges ORDER BY id")
    ).all():
        entries = by_challenge.get(challenge_id, [])
        counted = [
            1 if r.effect == "vote added" else -1 if r.effect == "vote removed" else 0
            for r in entries
        ]
        fixes = _corrections(bind, challenge_id, entries, counted)
        if not entries and not fixes:
            continue
        key = keys[community_id]
        changes = [
            Change(
                at=_when(r.recorded_at),
                idea=r.number,
                credited=r.number if n else None,
                member=pseudonym(key, r.member_id),
                action=r.action,
                source=r.source,
                effect=r.effect,
                counted=n,
            )
            for r, n in zip(entries, counted, strict=True)
        ]
        chained = chain(0, GENESIS, changes)
        chained += chain(
            len(chained),
            chained[-1].hash if chained else GENESIS,
            [
                Change(
                    at=now,
                    idea=numbers[i],
                    credited=numbers[i],
                    member=pseudonym(key, m),
                    action="correct",
                    source="migration",
                    effect="corrected by the migration",
                    counted=n,
                )
                for i, m, n in fixes
            ],
        )
        credits[challenge_id] = [
            *((r.idea_id, c.at, n) for r, n, c in zip(entries, counted, changes, strict=True) if n),
            *((i, now, n) for i, _, n in fixes),
        ]
        for (i, m, n), entry in zip(fixes, chained[len(entries) :], strict=True):
            bind.execute(
                sa.insert(log).values(
                    community_id=community_id,
                    challenge_id=challenge_id,
                    seq=entry.seq,
                    idea_id=i,
                    member_id=m,
                    action="correct",
                    emoji="",
                    occurred_at=now,
                    recorded_at=now,
                    source="migration",
                    effect="corrected by the migration",
                    counted=n,
                    credited_idea_id=i,
                    hash=entry.hash,
                )
            )
        for r, n, entry in zip(entries, counted, chained[: len(entries)], strict=True):
            bind.execute(
                sa.text(
                    "UPDATE reaction_log SET challenge_id = :c, seq = :s, counted = :n, "
                    "credited_idea_id = :credited, hash = :h WHERE id = :id"
                ),
                {
                    "c": challenge_id,
                    "s": entry.seq,
                    "n": n,
                    "credited": r.idea_id if n else None,
                    "h": entry.hash,
                    "id": r.id,
                },
            )
        bind.execute(
            sa.text("INSERT INTO vote_chains (challenge_id, entries, head) VALUES (:c, :n, :h)"),
            {"c": challenge_id, "n": len(chained), "h": chained[-1].hash},
        )
    # Each idea's count is what its entries count, as the running code keeps it (0 for a
    # merged, withdrawn or rejected idea, whose count 0002 left as it was): an unmerge
    # moves votes back by differences of the log, which a stale count would double.
    bind.execute(
        sa.text(
            "UPDATE ideas SET vote_count = COALESCE((SELECT SUM(l.counted) FROM reaction_log l "
            "WHERE l.credited_idea_id = ideas.id), 0)"
        )
    )
    with op.batch_alter_table("reaction_log", recreate="auto") as batch:
        batch.alter_column("challenge_id", existing_type=ID, nullable=False)
        batch.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch.create_foreign_key(
            op.f("fk_reaction_log_challenge_id_challenges"),
            "challenges",
            ["challenge_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_foreign_key(
            op.f("fk_reaction_log_credited_idea_id_ideas"),
            "ideas",
            ["credited_idea_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_unique_constraint(
            op.f("uq_reaction_log_challenge_id_seq"), ["challenge_id", "seq"]
        )
    op.create_index("ix_reaction_log_credited", "reaction_log", ["credited_idea_id", "occurred_at"])
    return credits


def _credit(bind: sa.engine.Connection, credits: dict[int, Counted]) -> None:
    """received_points as `Counting.credit` builds them from the log: the counted votes of
    each entry credited to the author of its idea in the week of the entry (apart when the
    idea is anonymous), nothing while a challenge is sealed and open, everything in the
    week of the close once a sealed one is closed. So the votes a merged idea had are the
    head's author's from the week of the corrections that moved them."""
    ideas = {
        int(i): (int(author), bool(anonymous))
        for i, author, anonymous in bind.execute(
            sa.text("SELECT id, author_id, anonymous FROM ideas")
        )
    }
    received = sa.table(
        "received_points",
        *(sa.column(c) for c in ("community_id", "challenge_id", "member_id", "week", "votes")),
        sa.column("private", sa.Boolean()),
    )
    for challenge_id, community_id, sealed, phase, closed_at in bind.execute(
        sa.text("SELECT id, community_id, sealed, phase, closed_at FROM challenges ORDER BY id")
    ).all():
        if sealed and phase != "closed":
            continue
        sealed_week = week_of(_when(closed_at)) if sealed and closed_at is not None else None
        totals: Counter[tuple[int, str, bool]] = Counter()
        for idea_id, at, n in credits.get(challenge_id, []):
            author, anonymous = ideas[idea_id]
            totals[(author, sealed_week or week_of(at), anonymous)] += n
        rows = [
            {
                "community_id": community_id,
                "challenge_id": challenge_id,
                "member_id": m,
                "week": w,
                "private": p,
                "votes": n,
            }
            for (m, w, p), n in sorted(totals.items())
            if n
        ]
        if rows:
            bind.execute(sa.insert(received), rows)


def _private_publications(bind: sa.engine.Connection) -> None:
    """The points for publishing an anonymous idea move to the author's private row of
    the week it was published, as `Rewards.idea_published` records them now (0002 kept
    them public). Ideas that gave them back (withdrawn, rejected) keep nothing to move; a
    public row that lacks one is left as it is."""
    unpublished = ", ".join(f"'{s}'" for s in UNPUBLISHED)
    moves: Counter[tuple[int, int, str]] = Counter()
    for community_id, author, published_at in bind.execute(
        sa.text(
            "SELECT community_id, author_id, published_at FROM ideas "
            f"WHERE anonymous AND published_at IS NOT NULL AND status NOT IN ({unpublished})"
        )
    ):
        moves[(int(community_id), int(author), week_of(_when(published_at)))] += 1
    points = sa.table(
        "member_week_points",
        *(sa.column(c) for c in ("community_id", "member_id", "week")),
        *(sa.column(c) for c in ("ideas_published", "votes_cast", "bonus")),
        sa.column("private", sa.Boolean()),
    )
    for key, n in sorted(moves.items()):
        public, private = _week_row(points, key, False), _week_row(points, key, True)
        held = bind.execute(sa.select(points.c.ideas_published).where(public)).scalar()
        moved = min(n, max(int(held or 0), 0))
        if not moved:
            continue
        bind.execute(
            sa.update(points).where(public).values(ideas_published=points.c.ideas_published - moved)
        )
        if bind.execute(sa.select(points.c.ideas_published).where(private)).first():
            bind.execute(
                sa.update(points)
                .where(private)
                .values(ideas_published=points.c.ideas_published + moved)
            )
        else:
            bind.execute(
                sa.insert(points).values(
                    community_id=key[0],
                    member_id=key[1],
                    week=key[2],
                    private=True,
                    ideas_published=moved,
                    votes_cast=0,
                    bonus=0,
                )
            )


def _week_row(
    points: sa.TableClause, key: tuple[int, int, str], private: bool
) -> sa.ColumnElement[bool]:
    community_id, member_id, week = key
    return sa.and_(
        points.c.community_id == community_id,
        points.c.member_id == member_id,
        points.c.week == week,
        points.c.private == private,
    )


def _corrections(
    bind: sa.engine.Connection,
    challenge_id: int,
    entries: list[sa.Row[tuple[object, ...]]],
    counted: list[int],
) -> list[tuple[int, int, int]]:
    """(idea, member, counted) that bring each idea's counted votes in the log to its
    family's voters (its author's only with self-votes; none unless it is public)."""
    held: dict[tuple[int, int], int] = {}
    for r, n in zip(entries, counted, strict=True):
        if n:
            held[(r.idea_id, r.member_id)] = held.get((r.idea_id, r.member_id), 0) + n
    public = ", ".join(f"'{s}'" for s in PUBLIC)
    rows = bind.execute(
        sa.text(
            "SELECT DISTINCT h.id, v.member_id FROM ideas h "
            "JOIN challenges c ON c.id = h.challenge_id "
            "JOIN ideas i ON i.id = h.id OR i.merged_into_id = h.id "
            "JOIN votes v ON v.idea_id = i.id "
            f"WHERE h.challenge_id = :c AND h.status IN ({public}) "
            "AND (c.self_votes OR v.member_id <> h.author_id)"
        ),
        {"c": challenge_id},
    )
    wanted = {(int(i), int(m)): 1 for i, m in rows}
    return [
        (i, m, wanted.get((i, m), 0) - held.get((i, m), 0))
        for i, m in sorted(set(wanted) | set(held))
        if wanted.get((i, m), 0) != held.get((i, m), 0)
    ]


def downgrade() -> None:
    raise NotImplementedError("the vote log cannot be unchained; restore a backup instead")
