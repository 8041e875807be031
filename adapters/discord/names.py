"""The names of Discord's slash commands, groups and options, for translators.

Discord shows each member the command, group and option names of their own language
(`name_localizations`) while it still sends the English name in every interaction. Each
name is marked here with the message context "command name", so that the catalogue has it
once, apart from the same word elsewhere (`submit` the command, not the button).
`adapters/discord/localise.py` translates them when the commands are synced.
"""

from __future__ import annotations

from bot.i18n import pN_

#: The message context of every name below.
CONTEXT = "command name"

#: Command path words and group names (`/idea submit`, `/mod`).
COMMANDS: tuple[str, ...] = (
    # TRANSLATORS: every "command name" is a name Discord shows in the slash command menu:
    # lowercase, no spaces (use - or _), 32 characters at most; members type it after `/`.
    pN_("command name", "add"),
    pN_("command name", "advance"),
    pN_("command name", "approve"),
    pN_("command name", "badges"),
    pN_("command name", "block"),
    pN_("command name", "capture"),
    pN_("command name", "challenge"),
    pN_("command name", "close"),
    pN_("command name", "cocreate"),
    pN_("command name", "confirm"),
    pN_("command name", "create"),
    pN_("command name", "decline"),
    pN_("command name", "delete"),
    pN_("command name", "edit"),
    pN_("command name", "enable"),
    pN_("command name", "export"),
    pN_("command name", "follow"),
    pN_("command name", "forget"),
    pN_("command name", "forgetme"),
    pN_("command name", "help"),
    pN_("command name", "idea"),
    pN_("command name", "ideas"),
    pN_("command name", "info"),
    pN_("command name", "join"),
    pN_("command name", "language"),
    pN_("command name", "leaderboard"),
    pN_("command name", "leave"),
    pN_("command name", "link"),
    pN_("command name", "list"),
    pN_("command name", "log"),
    pN_("command name", "loop"),
    pN_("command name", "merge"),
    pN_("command name", "mod"),
    pN_("command name", "mydata"),
    pN_("command name", "notices"),
    pN_("command name", "notify"),
    pN_("command name", "open"),
    pN_("command name", "org"),
    pN_("command name", "post"),
    pN_("command name", "posts"),
    pN_("command name", "queue"),
    pN_("command name", "reject"),
    pN_("command name", "remove"),
    pN_("command name", "results"),
    pN_("command name", "revoke"),
    pN_("command name", "roadmap"),
    pN_("command name", "show"),
    pN_("command name", "status"),
    pN_("command name", "submit"),
    pN_("command name", "test"),
    pN_("command name", "token"),
    pN_("command name", "unblock"),
    pN_("command name", "unfollow"),
    pN_("command name", "unmerge"),
    pN_("command name", "unvoid"),
    pN_("command name", "void"),
    pN_("command name", "voters"),
    pN_("command name", "webhook"),
    pN_("command name", "withdraw"),
)

#: Option names (`title:`, `challenge:`).
OPTIONS: tuple[str, ...] = (
    # TRANSLATORS: an option's name of a slash command (`title:`), also a form field's
    # label: lowercase, no spaces (use _), 32 characters at most.
    pN_("command name", "accept_terms"),
    pN_("command name", "anonymous"),
    pN_("command name", "author"),
    pN_("command name", "brief"),
    pN_("command name", "cancel"),
    pN_("command name", "challenge"),
    pN_("command name", "code"),
    pN_("command name", "command"),
    pN_("command name", "confirm"),
    pN_("command name", "description"),
    pN_("command name", "duplicate"),
    pN_("command name", "emoji"),
    pN_("command name", "endpoint"),
    pN_("command name", "events"),
    pN_("command name", "format"),
    pN_("command name", "id"),
    pN_("command name", "idea"),
    pN_("command name", "ideas_per_member"),
    pN_("command name", "into"),
    pN_("command name", "language"),
    pN_("command name", "level"),
    pN_("command name", "member"),
    pN_("command name", "min_account_age"),
    pN_("command name", "min_member_age"),
    pN_("command name", "mine"),
    pN_("command name", "multiple_places"),
    pN_("command name", "name"),
    pN_("command name", "note"),
    pN_("command name", "page"),
    pN_("command name", "period"),
    pN_("command name", "preview"),
    pN_("command name", "reason"),
    pN_("command name", "reminder"),
    pN_("command name", "repeat"),
    pN_("command name", "report_venue"),
    pN_("command name", "retry"),
    pN_("command name", "review"),
    pN_("command name", "schedule"),
    pN_("command name", "sealed"),
    pN_("command name", "search"),
    pN_("command name", "self_votes"),
    pN_("command name", "sort"),
    pN_("command name", "source"),
    pN_("command name", "status"),
    pN_("command name", "submissions_close"),
    pN_("command name", "terms"),
    pN_("command name", "timezone"),
    pN_("command name", "title"),
    pN_("command name", "url"),
    pN_("command name", "venue"),
    pN_("command name", "votes"),
    pN_("command name", "voting_close"),
    pN_("command name", "week"),
)

#: The message context-menu command (its name may have spaces and capitals).
# TRANSLATORS: the menu entry on a message that turns it into an idea (32 characters at most)
CAPTURE_MENU = pN_("menu name", "Submit as idea")
