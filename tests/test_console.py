"""The console adapter, run as a person would: `cocreate console --script FILE`."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from cocreate.cli import main

SCRIPT = Path(__file__).parent / "scripts" / "challenge.txt"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COCREATE_CORE__DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["console", *args])
    return status, capsys.readouterr().out


def block(out: str, heading: str) -> list[str]:
    """The lines of the first card whose first line contains `heading`."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if heading in line)
    end = next(
        (i for i in range(start + 1, len(lines)) if not lines[i].startswith("  ")), len(lines)
    )
    return lines[start:end]


def test_a_whole_challenge_runs_in_the_console(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = run(capsys, "--script", str(SCRIPT))
    assert status == 0, out
    assert "[#general] 📣 🏁 Next flavour" in out
    assert "Looks similar to #1: you can vote for those too." in out
    assert "(Ana reacted 👍 on #1: ignored: self-vote)" in out
    assert "(Ben reacted 👍 on #1: no change)" in out
    assert "(Ben removed the reaction 👍 on #3: vote removed)" in out
    assert block(out, "📊 Standings: Next flavour")[1:4] == [
        "  🥇 #1 Salted caramel crunch — 2 votes",
        "  🥈 #2 Mint chocolate chip — 2 votes",
        "  🥉 #3 Crunchy salted caramel — 1 vote",
    ]
    final = block(out, "🏆 Final results: Next flavour")
    assert "    🥇 Podium (1st) — Ana" in final
    assert "    🥈 Podium (2nd) — Ben" in final
    assert "    🥉 Podium (3rd) — Cleo" in final
    # Ana: idea 3 + 2 votes received + 1 vote cast + gold 10; Ben: 3 + 2 + 1 + 6;
    # Cleo: 3 + 1 + 1 + 3; Dan: 2 votes cast.
    assert block(out, "🏅 Leaderboard")[1:5] == [
        "  1. Ana — 16 points",
        "  2. Ben — 12 points",
        "  3. Cleo — 8 points",
        "  4. Dan — 2 points",
    ]
    assert (data_dir / "cocreate.db").exists()


def test_a_second_run_on_the_same_data_shows_the_same_state(
    data_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, "--script", str(SCRIPT))
    again = tmp_path / "again.txt"
    again.write_text(":as Eve\n/results next-flavour\n/leaderboard period:all\n/badges Ana\n")
    status, out = run(capsys, "--script", str(again))
    assert status == 0, out
    assert block(out, "📊 Final results: Next flavour")[1:4] == [
        "  🥇 #1 Salted caramel crunch — 2 votes",
        "  🥈 #2 Mint chocolate chip — 2 votes",
        "  🥉 #3 Crunchy salted caramel — 1 vote",
    ]
    assert "  1. Ana — 16 points" in out
    assert "Ana has 2 badges" in out


def test_user_errors_are_replies_and_reactions_survive_a_restart(
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = tmp_path / "first.txt"
    first.write_text(
        ":as Maya --mod\n"
        '/challenge create title:"Snacks" brief:"Which snack?"\n'
        "/challenge open snacks\n"
        ":as Ana\n"
        '/idea submit title:"Pretzels" description:"Salty"\n'
        "/idea sbumit\n"
        "/idea show #42\n"
        "/mod block ana\n"
        ":frobnicate\n"
    )
    status, out = run(capsys, "--script", str(first))
    assert status == 0, out
    assert "Did you mean `/idea submit`?" in out
    assert "There is no idea #42 here." in out
    assert "Only moderators can use `/mod block`." in out
    assert "Unknown or incomplete `:frobnicate`" in out
    # stdin that is not a terminal is a script too; a reaction finds the post of a past run
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(":as Ben\n:react #1\n/idea show #1\n"))
    status, out = run(capsys)
    assert status == 0, out
    assert "(Ben reacted 👍 on #1: vote added)" in out
    assert "  Votes: 1 vote" in out


def test_hostile_names_and_text_cannot_break_the_terminal(
    data_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    script = tmp_path / "hostile.txt"
    script.write_text(
        ":as Maya --mod\n"
        '/challenge create title:"Snacks" brief:"Which snack?"\n'
        "/challenge open snacks\n"
        ":as \x1b[31mRed\x07\n"
        '/idea submit title:"@everyone <@123>" description:"<!channel> hi"\n'
    )
    status, out = run(capsys, "--script", str(script))
    assert status == 0
    shown = "\n".join(line for line in out.splitlines() if not line.startswith("> "))
    assert "\x1b" not in out and "\x07" not in out
    assert "@everyone" not in shown and "<@123>" not in shown and "<!channel>" not in shown


def test_advance_fires_what_falls_due_in_order_once(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio
    from datetime import UTC, datetime

    from bot.clock import ManualClock
    from bot.settings import load_settings
    from cocreate.bootstrap import run_console

    lines = [
        ":as Maya --mod",
        '/challenge create title:"Snacks" brief:"Which snack?" submissions_close:7d '
        "voting_close:14d report_venue:brand",
        "/challenge open snacks",
        ":as Ana",
        '/idea submit title:"Pretzels" description:"Salty"',
        ":as Ben",
        ":react #1",
        ":clock",
        ":advance 20d",
        ":advance 20d",
    ]
    settings = load_settings(environ={"COCREATE_CORE__DATA_DIR": str(data_dir)})
    clock = ManualClock(datetime(2026, 3, 2, 10, tzinfo=UTC))
    assert asyncio.run(run_console(settings, clock=clock, lines=lines)) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    posts = [
        line
        for line in lines
        if line.startswith("[#") and "sees this" not in line and " thread]" not in line
    ]
    # The final place goes into the idea's thread, and to its followers by direct message.
    assert [line for line in lines if " thread]" in line or line.startswith("[DM")] in (
        [
            "[#general › #1 thread] 🏁 #1 Pretzels finished 🥇 1st place",
            f"[DM to {first}] 🏁 {a} finished 🥇 1st place",
            f"[DM to {second}] 🏁 {b} finished 🥇 1st place",
        ]
        for first, a, second, b in (
            ("ana", "Your idea #1 Pretzels", "ben", "#1 Pretzels"),
            ("ben", "#1 Pretzels", "ana", "Your idea #1 Pretzels"),
        )
    )
    assert posts == [
        "[#general] 📣 🏁 Snacks  (`snacks`)",
        "[#general] 💡 #1 · Pretzels",
        "[#general] ⏰ Last call for ideas: Snacks",  # 8 March, 10:00: 24 hours before
        "[#general] 📊 This week in Snacks",  # Monday 9 March, 09:00
        "[#brand] 📈 Brand report: Snacks",
        "[#general] ⏳ Submissions for Snacks are closed",  # 9 March, 10:00
        "[#general] ⏰ Voting closes soon: Snacks",  # 15 March, 10:00
        # none on Monday 16 March, 09:00: the final results come within a day
        "[#general] 🏆 Final results: Snacks",  # 16 March, 10:00
        "[#brand] 📈 Final brand report: Snacks",
    ]
    assert "(it is Mon 2 Mar 2026, 10:00 UTC)" in out
    assert "(it is Sun 22 Mar 2026, 10:00 UTC)" in out
    files = sorted(p.name for p in (data_dir / "files").iterdir())
    assert files == [
        "snacks-2026-03-09-activity.png",
        "snacks-2026-03-09-ideas.csv",
        "snacks-2026-03-16-final-activity.png",
        "snacks-2026-03-16-final-ideas.csv",
    ]


def test_the_demo_runs_a_two_week_challenge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    from cocreate.bootstrap import run_demo

    assert asyncio.run(run_demo(tmp_path / "demo")) == 0
    out = capsys.readouterr().out
    for heading in (
        "📣 🏁 Next ice cream flavour",
        "📊 This week in Next ice cream flavour",
        "📈 Brand report: Next ice cream flavour",
        "⏳ Submissions for Next ice cream flavour are closed",
        "🏆 Final results: Next ice cream flavour",
        "🥇 Podium (1st)",
    ):
        assert heading in out, heading
    assert "🚨" not in out  # an organic challenge raises no brigading alert
    folder = Path(out.strip().splitlines()[-1].rsplit(" in ", 1)[1])
    names = sorted(p.suffix for p in folder.iterdir())
    assert names.count(".png") >= 2 and names.count(".csv") >= 3


def test_a_script_that_ends_right_after_a_vote_stops_cleanly(
    data_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The vote wakes the scheduler as the script ends: stopping waits for that run
    instead of cancelling it mid-transaction (which logged an error)."""
    script = tmp_path / "vote.txt"
    script.write_text(
        ":as Maya --mod\n"
        '/challenge create title:"Snacks" brief:"Which snack?"\n'
        "/challenge open snacks\n"
        ":as Ana\n"
        '/idea submit title:"Pretzels" description:"Salty"\n'
        ":as Ben\n"
        ":react #1\n"
    )
    status, _ = run(capsys, "--script", str(script))
    assert status == 0
    assert " ERROR " not in (data_dir / "cocreate.log").read_text(encoding="utf-8")


def test_a_second_run_goes_on_from_the_time_the_first_reached(
    data_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`:advance` moves the console's time ahead of the system's: a restart on the same
    data must not go back, or votes would be dated before earlier ones."""

    def clock_after(lines: str) -> datetime:
        script = tmp_path / "clock.txt"
        script.write_text(lines + ":clock\n")
        status, out = run(capsys, "--script", str(script))
        assert status == 0
        shown = re.findall(r"\(it is (.+?) UTC\)", out)[-1]
        return datetime.strptime(shown, "%a %d %b %Y, %H:%M")

    first = clock_after(":advance 3d\n")
    second = clock_after("")
    assert first - timedelta(minutes=1) <= second <= first + timedelta(minutes=1)


FINDING = Path(__file__).parent / "scripts" / "finding.txt"
HELP = Path(__file__).parent / "scripts" / "help.txt"


def test_finding_ideas_and_the_roadmap_in_the_console(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = run(capsys, "--script", str(FINDING))
    assert status == 0, out
    assert block(out, "🔎 Your ideas")[1:3] == [
        "  #3 · Lemon_sorbet — 0 votes",
        "  #2 · Mint chocolate chip — 0 votes",
    ]
    assert block(out, "Ideas matching “CARAMEL”")[1] == (
        "  #1 · Salted caramel crunch — 0 votes · by anonymous"
    )
    assert block(out, "Ideas matching “100%”")[1].startswith("  #1 ·")
    assert block(out, "Ideas matching “n_s”")[1].startswith("  #3 · Lemon_sorbet")
    assert '`search:"salted caramel"`' in out
    assert "Nothing found. `/ideas status:planned` looks in every challenge here" in out
    assert block(out, "🗺️ Roadmap")[2:5] == [
        "  📌 Planned: #2 · Mint chocolate chip · by Ben · Next flavour — Coming in May",
        "  🛠️ In progress: #1 · Salted caramel crunch · by anonymous · Next flavour",
        "  🚀 Implemented: #4 · Caramel drizzle · by Cleo · Toppings",
    ]
    # across challenges, newest first; the sealed challenge's idea shows no tally
    assert block(out, "Ideas matching “caramel”")[1:3] == [
        "  #4 · Caramel drizzle — implemented · by Cleo · Toppings",
        "  #1 · Salted caramel crunch — 0 votes · in progress · by anonymous · Next flavour",
    ]
    assert "Ana" not in "\n".join(block(out, "Ideas matching “caramel”"))


def test_help_leads_everywhere_and_errors_say_what_happened(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = run(capsys, "--script", str(HELP))
    assert status == 0, out
    for typed in ("help", "/help", "/cocreate"):
        answer = out.split(f"> {typed}\n", 1)[1].splitlines()
        assert "👋 Cocreate runs co-creation challenges here" in answer[0], typed
    explained = block(out, "❓ /idea submit")
    assert '  Example: `/idea submit title:"Salted caramel" description:"Crunchy salted bits"`' in (
        explained
    )
    assert "There is no command `/resluts`. Did you mean `/results`?" in out
    assert "`/mod` is a group of commands: `/mod approve`" in out
    assert (
        "Did you mean `/idea submit`? The `/idea` commands: `/idea capture`, `/idea confirm`, "
        "`/idea decline`, `/idea edit`, `/idea follow`"
    ) in out
    assert "Did you mean `/mod block` or `/mod unblock`?" in out
    assert "`title:` took only `My`" in out and '`title:"My idea"`' in out
    assert 'A quote is not closed: the value of `title` starts with "' in out
    info = out.split("> /challenge info\n", 1)[1].split("\n> ", 1)[0].splitlines()
    assert "  Schedule: weekly results at `0 9 * * mon` (cron), Europe/Paris" in info
    assert "  Venues: #general, #flavours" in info
    assert "  Report venue: #brand" in info
    assert "  Minimum ages for a vote: account 7d" in info
    assert "  Review: moderators approve ideas first" in info
    # the only open challenge takes the idea without being named
    assert "💡 Idea #1 is in!" in out


def test_mydata_writes_the_file_and_says_where(
    data_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    script = tmp_path / "mydata.txt"
    script.write_text(
        "\n".join(
            [
                ":as Host --mod",
                '/challenge create title:"Flavour" brief:"What next?"',
                "/challenge open flavour",
                ":as Zelda",
                '/idea submit title:"Salted caramel" description:"Crunchy."',
                "/mydata",
                "/forgetme",
            ]
        )
        + "\n"
    )
    status, out = run(capsys, "--script", str(script))
    assert status == 0, out
    assert "[DM to zelda] 📦 Your data in Cocreate" in out
    (path,) = re.findall(r"📎 (\S+cocreate-mydata-console-\S+\.json)", out)
    assert f"Sent to {path}." in out
    saved = json.loads(Path(path).read_text())
    assert saved["member"]["display_name"] == "Zelda"
    assert [i["title"] for i in saved["ideas"]] == ["Salted caramel"]
    assert re.search(r"run `/forgetme confirm:[0-9A-F]{6}` within 15 minutes", out), out


def test_a_weekly_challenge_repeats_in_the_console(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = run(capsys, "--script", str(SCRIPT.parent / "repeat.txt"))
    assert status == 0, out
    final = block(out, "[#general] 🏆 Final results: Snack of the week")
    assert any(
        line.startswith("  Next round: `snack-of-the-week-round-2` opens ") for line in final
    )
    info = block(out, "🏁 Snack of the week (round 2)  (`snack-of-the-week-round-2`)")
    assert "  Phase: draft" in info
    assert "  Repeats: weekly (round 2)" in info
    for venue in ("general", "snacks"):
        opened = block(out, f"[#{venue}] 📣 🏁 Snack of the week (round 2)")
        assert opened[opened.index("  Last round's podium (Snack of the week):") + 1 :][:2] == [
            "    🥇 #2 Popcorn — anonymous · 2 votes",
            "    🥈 #1 Pretzels — Ana · 1 vote",
        ]
    assert out.count("📣 🏁 Snack of the week (round 2)") == 2  # once per venue
    listing = block(out, "only Maya sees this] Challenges")
    assert listing[1].startswith(
        "  `snack-of-the-week-round-2` Snack of the week (round 2) — open for ideas until"
    )


def test_you_said_we_did_in_the_console(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(capsys, "--script", str(SCRIPT.parent / "loop.txt"))
    assert status == 0, out
    private = block(out, "[#general · only Eve sees this] 📣 You said, we did")
    assert private[1:] == [
        "  What became of your ideas so far: 2 ideas moved on.",
        "  🚀 Implemented: #2 Mint chip — by anonymous, in Next flavour: In shops from Friday",
        "  🗓️ Planned: #1 Salted caramel — by Ana, in Next flavour",
        "  — Only you see this: it is what the next post in the channels will list.",
    ]
    posts = [b for b in out.split("\n[") if b.startswith("#general] 📣 You said, we did")]
    assert len(posts) == 2  # on demand, then a month later on schedule
    assert "🗓️ Planned: #1 Salted caramel — by Ana" in posts[0]
    assert "Liquorice" not in posts[0]  # declined
    since, listed = posts[1].splitlines()[1:3]
    assert since.startswith("  What became of your ideas since ")
    assert since.endswith(": 1 idea moved on.")
    assert listed == "  🔨 In progress: #1 Salted caramel — by Ana, in Next flavour"
    assert "No idea has moved to planned, in progress or implemented since the last one" in out


def test_an_idea_has_a_thread_in_the_console_and_its_followers_hear_of_it(
    data_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    script = tmp_path / "threads.txt"
    script.write_text(
        ":as Maya --mod\n"
        '/challenge create title:"Snacks" brief:"Which snack?"\n'
        "/challenge open snacks\n"
        ":as Ana\n"
        '/idea submit title:"Pretzels" description:"Salty"\n'
        ":as Ben\n"
        ":dms off\n"
        ":react #1\n"
        ":reply #1 With mustard?\n"
        ":as Cleo\n"
        "/idea follow #1\n"
        ":reply #1 Yes, @everyone agrees\n"
        ":reply #7 Nothing here\n"
        ":as Maya --mod\n"
        "/mod status #1 planned Next month\n"
    )
    status, out = run(capsys, "--script", str(script))
    assert status == 0, out
    assert "[#general › #1 thread] Ben: With mustard?" in out
    assert "⚠️ Idea #7 has no thread in #general" in out
    assert "[#general › #1 thread] 📣 #1 Pretzels is now planned" in out
    assert "[DM to ana] 📣 Your idea #1 Pretzels is now planned" in out
    assert "[DM to cleo] 📣 #1 Pretzels is now planned" in out
    assert "For Ben (direct messages are closed): Status: planned — Next month" in out
    assert "[DM to ben]" not in out

    # A later run lists the replies under /idea show, with the discussion's figures.
    status, out = run(capsys, "--script", str(_write(tmp_path, ":as Dan\n/idea show #1\n")))
    assert status == 0, out
    assert "  Discussion: 2 replies from 2 people" in out
    assert "  💬 #general · Ben: With mustard?" in out
    assert "@everyone" not in out.replace("> ", "")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "more.txt"
    path.write_text(text)
    return path


def test_a_captured_idea_lists_what_its_buttons_run(
    data_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    script = tmp_path / "capture.txt"
    script.write_text(
        "\n".join(
            [
                ":as Host --mod",
                '/challenge create title:"Flavour" brief:"What next?"',
                "/challenge open flavour",
                ":as Zelda",
                "/cocreate help",
                ":as Host --mod",
                '/idea capture zelda title:"Oat milk" description:"Zelda asked for it"',
            ]
        )
        + "\n"
    )
    status, out = run(capsys, "--script", str(script))
    assert status == 0, out
    assert "[DM to zelda] 💡 Your message as idea #1?" in out, out
    assert (
        "  [Confirm] /idea confirm #1 · [Edit] /idea edit #1 · [Decline] /idea decline #1" in out
    ), out
