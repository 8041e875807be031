"""Deadline edits are checked against the challenge's schedule, and a sealed challenge says
what it hides and until when; on both backends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.messages import PostKind
from tests.harness import Harness

# The harness starts on Mon 2 Mar 2026, 09:00 UTC. Challenges made with `setup` open then,
# so `7d` is Mon 9 Mar 09:00 and `14d` Mon 16 Mar 09:00.
DEFAULT = "submissions_close:7d voting_close:14d"


async def setup(new_harness: Callable[..., Harness], options: str = DEFAULT) -> Harness:
    h = new_harness()
    await h.challenge(options)
    return h


async def info(h: Harness, slug: str = "flavour", who: str = "mod") -> dict[str, str]:
    return dict((await h.ok(f"/challenge info {slug}", who)).card.fields)


def finals(h: Harness) -> list[str]:
    return [
        p.card.title
        for p in h.publisher.of_kind(PostKind.RESULTS)
        if p.card.title.startswith("🏆 Final results")
    ]


async def move(h: Harness, by: timedelta) -> None:
    """Time passes, and the agenda does what falls due."""
    h.clock.advance(by)
    await h.app.agenda.run_due()


async def test_a_new_voting_deadline_is_accepted_once_submissions_closed(
    new_harness: Callable[..., Harness],
) -> None:
    h = await setup(new_harness)
    await move(h, timedelta(days=8))  # Tue 10 Mar: submissions closed on 9 March
    assert (await info(h))["Phase"] == "voting"
    reply = await h.ok('/challenge edit flavour voting_close:"2026-03-16 12:00"')
    assert "Voting now closes on Mon 16 Mar 2026, 12:00 UTC." in reply.card.body
    fields = await info(h)
    assert fields["Submissions close"] == "Mon 9 Mar 2026, 09:00 UTC"
    assert fields["Voting closes"] == "Mon 16 Mar 2026, 12:00 UTC"
    await move(h, timedelta(days=6, minutes=30))  # Mon 16 Mar, 09:30: the old deadline
    assert (await info(h))["Phase"] == "voting"
    assert not finals(h)
    await move(h, timedelta(hours=2, minutes=30))  # 12:00: the new one
    fields = await info(h)
    assert fields["Phase"] == "closed"
    assert fields["Closed"] == "Mon 16 Mar 2026, 12:00 UTC"
    assert len(finals(h)) == 1


async def test_a_voting_edit_keeps_when_submissions_really_closed(
    new_harness: Callable[..., Harness],
) -> None:
    h = await setup(new_harness)
    h.clock.advance(timedelta(days=2))
    await h.ok("/challenge advance flavour")  # by hand, on Wed 4 Mar
    await h.ok("/challenge edit flavour voting_close:2026-03-20")
    fields = await info(h)
    assert fields["Phase"] == "voting"
    assert fields["Submissions close"] == "Wed 4 Mar 2026, 09:00 UTC"  # not 7d after opening
    assert fields["Voting closes"] == "Fri 20 Mar 2026, 23:59 UTC"


async def test_submissions_close_cannot_change_once_submissions_closed(
    new_harness: Callable[..., Harness],
) -> None:
    h = await setup(new_harness)
    await move(h, timedelta(days=8))
    for option in ("submissions_close:2026-03-12", "submissions_close:12d"):
        refused = await h.refused(f"/challenge edit flavour {option}")
        assert "'Flavour' closed its submissions on Mon 9 Mar 2026, 09:00 UTC" in refused, refused
        assert "voting is open until Mon 16 Mar 2026, 09:00 UTC" in refused
    fields = await info(h)
    assert (fields["Phase"], fields["Submissions close"]) == ("voting", "Mon 9 Mar 2026, 09:00 UTC")


async def test_submissions_never_close_after_voting(
    new_harness: Callable[..., Harness],
) -> None:
    h = await setup(new_harness, DEFAULT + " timezone:Europe/Paris")
    await move(h, timedelta(days=5))  # Sat 7 Mar, still open
    refused = await h.refused("/challenge edit flavour submissions_close:2026-03-17")
    assert "Tue 17 Mar 2026, 23:59 CET" in refused, refused
    assert "Mon 16 Mar 2026, 10:00 CET" in refused
    refused = await h.refused('/challenge edit flavour voting_close:"2026-03-08 12:00"')
    assert "Sun 8 Mar 2026, 12:00 CET" in refused, refused
    assert "Mon 9 Mar 2026, 10:00 CET" in refused
    fields = await info(h)
    assert fields["Submissions close"] == "Mon 9 Mar 2026, 10:00 CET"
    assert fields["Voting closes"] == "Mon 16 Mar 2026, 10:00 CET"
    # both at once, in order, is fine
    await h.ok("/challenge edit flavour submissions_close:2026-03-17 voting_close:2026-03-20")
    fields = await info(h)
    assert fields["Submissions close"] == "Tue 17 Mar 2026, 23:59 CET"
    assert fields["Voting closes"] == "Fri 20 Mar 2026, 23:59 CET"


async def test_a_date_already_passed_is_refused_naming_when(
    new_harness: Callable[..., Harness],
) -> None:
    h = await setup(new_harness)
    await move(h, timedelta(days=5, hours=1))  # Sat 7 Mar, 10:00
    refused = await h.refused("/challenge edit flavour voting_close:2026-03-06")
    assert "`voting_close` is Fri 6 Mar 2026, 23:59 UTC, which has already passed" in refused
    assert (await info(h))["Voting closes"] == "Mon 16 Mar 2026, 09:00 UTC"
    refused = await h.refused(
        '/challenge create title:"Colour" brief:"Which?" voting_close:2026-03-01'
    )
    assert "`voting_close` is Sun 1 Mar 2026, 23:59 UTC, which has already passed" in refused


async def test_durations_count_from_the_opening_not_from_now(
    new_harness: Callable[..., Harness],
) -> None:
    h = await setup(new_harness, "voting_close:14d")
    await move(h, timedelta(days=5, hours=1))  # Sat 7 Mar, 10:00
    refused = await h.refused("/challenge edit flavour voting_close:3d")
    assert "counts from the opening on Mon 2 Mar 2026, 09:00 UTC" in refused, refused
    assert "Thu 5 Mar 2026, 09:00 UTC, which has already passed" in refused
    refused = await h.refused("/challenge edit flavour submissions_close:5d")
    assert "Sat 7 Mar 2026, 09:00 UTC, which has already passed" in refused, refused
    await h.app.agenda.run_due()
    fields = await info(h)
    assert (fields["Phase"], fields["Voting closes"]) == ("open", "Mon 16 Mar 2026, 09:00 UTC")
    # a deadline of the running phase still in the future is accepted
    reply = await h.ok("/challenge edit flavour submissions_close:6d")
    assert "Submissions now close on Sun 8 Mar 2026, 09:00 UTC." in reply.card.body
    assert (await info(h))["Submissions close"] == "Sun 8 Mar 2026, 09:00 UTC"


async def test_unrelated_edits_are_not_refused_for_deadlines_already_met(
    new_harness: Callable[..., Harness],
) -> None:
    h = await setup(new_harness, 'submissions_close:7d voting_close:"2026-03-16 09:00"')
    await move(h, timedelta(days=8))  # submissions closed on 9 March
    await h.ok('/challenge edit flavour title:"Flavours"')
    h.clock.advance(timedelta(days=6, minutes=1))  # the voting close has just passed
    await h.ok("/challenge edit flavour sealed:yes")
    fields = await info(h)  # the edit ran the agenda: the challenge closed at its deadline
    assert (fields["Phase"], fields["Closed"]) == ("closed", "Mon 16 Mar 2026, 09:00 UTC")


async def test_a_draft_is_checked_as_if_it_opened_now(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    refused = await h.refused(
        '/challenge create title:"Flavour" brief:"?" submissions_close:2026-03-20 voting_close:7d'
    )
    assert "Fri 20 Mar 2026, 23:59 UTC" in refused, refused
    assert "7d after the opening (Mon 9 Mar 2026, 09:00 UTC if it opened now)" in refused


async def test_a_draft_is_checked_again_when_it_opens(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.ok('/challenge create title:"Flavour" brief:"?" submissions_close:3d '
               "voting_close:2026-03-08")  # fmt: skip
    h.clock.advance(timedelta(days=4))  # Fri 6 Mar: 3d after opening now is after 8 March
    refused = await h.refused("/challenge open flavour")
    assert "`submissions_close` is 3d after the opening, Mon 9 Mar 2026, 09:00 UTC" in refused
    assert "`voting_close`, which is Sun 8 Mar 2026, 23:59 UTC" in refused, refused
    assert "/challenge edit flavour" in refused
    assert (await info(h))["Phase"] == "draft"
    assert not h.publisher.of_kind(PostKind.ANNOUNCEMENT)
    await h.ok("/challenge edit flavour voting_close:2026-03-12")
    await h.ok("/challenge open flavour")
    (announcement,) = h.publisher.of_kind(PostKind.ANNOUNCEMENT)
    fields = dict(announcement.card.fields)
    assert fields["Submissions close"] == "Mon 9 Mar 2026, 09:00 UTC"
    assert fields["Voting closes"] == "Thu 12 Mar 2026, 23:59 UTC"


async def test_a_draft_whose_date_passed_does_not_open(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.ok('/challenge create title:"Colour" brief:"?" voting_close:2026-03-05')
    h.clock.advance(timedelta(days=4))
    refused = await h.refused("/challenge open colour")
    assert "`voting_close` is Thu 5 Mar 2026, 23:59 UTC, which has already passed" in refused
    assert "/challenge edit colour" in refused
    assert (await info(h, "colour"))["Phase"] == "draft"
    assert not h.publisher.of_kind(PostKind.ANNOUNCEMENT)


SEALED = (
    "Sealed: vote counts and the order of ideas, and the points and badges that depend on "
    "them, stay hidden from members until the close"
)


async def test_sealed_says_what_it_hides_and_until_when(
    new_harness: Callable[..., Harness],
) -> None:
    h = new_harness()
    await h.ok('/challenge create title:"Flavour" brief:"?" sealed:yes voting_close:14d '
               "timezone:Europe/Paris")  # fmt: skip
    draft = (await info(h))["How it works"]
    assert f"{SEALED} (14d after opening); moderators see the tallies." in draft, draft
    await h.ok("/challenge open flavour")
    note = f"{SEALED} on Mon 16 Mar 2026, 10:00 CET; moderators see the tallies."
    assert note in (await info(h, who="ana"))["How it works"]
    (announcement,) = h.publisher.of_kind(PostKind.ANNOUNCEMENT)
    assert note in dict(announcement.card.fields)["How it works"]
    await h.ok("/challenge close flavour")
    assert "Sealed" not in (await info(h, who="ana"))["How it works"]
    await h.ok('/challenge create title:"Colour" brief:"?"')
    assert "Sealed" not in (await info(h, "colour"))["How it works"]
