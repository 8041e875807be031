"""The `cocreate` command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from bot.ports import Platform
from bot.settings import ConfigError, Settings, load_settings, render_effective
from bot.startup import DatabaseUnreachable, check_platforms

EXIT_CONFIG = 2
EXIT_UNAVAILABLE = 1
EXIT_INTERRUPTED = 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cocreate", description="Co-creation challenges for Discord, Slack and the console."
    )
    parser.add_argument("--config", metavar="PATH", help="TOML settings file")
    sub = parser.add_subparsers(dest="command", required=True)
    console = sub.add_parser("console", help="run a community in this terminal, no tokens needed")
    console.add_argument("--script", metavar="FILE", help="run the lines of FILE, then stop")
    config = sub.add_parser("config", help="configuration")
    config.add_argument("action", choices=["check"], help="print the effective configuration")
    db = sub.add_parser("db", help="database")
    db.add_argument("action", choices=["upgrade"], help="migrate to the newest schema")
    sub.add_parser("run", help="run every platform enabled in the settings")
    sub.add_parser("demo", help="a scripted two-week challenge in a throwaway folder")
    discord = sub.add_parser("discord", help="Discord")
    discord.add_argument("action", choices=["sync"], help="sync the slash commands globally")
    slack = sub.add_parser("slack", help="Slack")
    slack.add_argument("action", choices=["manifest"], help="print the app manifest (JSON)")
    audit = sub.add_parser("audit", help="check a vote log exported with /export format:votes")
    audit.add_argument("action", choices=["verify"], help="recompute the chain and standings")
    audit.add_argument("file", type=Path, help="the exported .jsonl file")
    audit.add_argument("--head", help="the head hash published with the final results")
    return parser


def _logging(settings: Settings, to_file: Path | None = None) -> None:
    handler: logging.Handler
    if to_file is not None:
        to_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(to_file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=settings.core.log_level, handlers=[handler], force=True)
    # Waiting for the database at start is told on the terminal too, not only in the file.
    startup = logging.getLogger("cocreate.startup")
    for old in startup.handlers[:]:
        startup.removeHandler(old)
        old.close()
    if to_file is not None:
        echo = logging.StreamHandler(sys.stderr)
        echo.setLevel(logging.WARNING)
        echo.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        startup.addHandler(echo)


async def _upgrade(settings: Settings) -> None:
    from bot.bootstrap import open_database
    from storage.migrate import current_revision

    engine = await open_database(settings)
    try:
        print(f"database at revision {await current_revision(engine)}")
    finally:
        await engine.dispose()


async def _run(settings: Settings) -> int:
    """Start the core and every enabled platform in this event loop; stop on a signal."""
    from bot.bootstrap import build, platforms
    from scheduler import Timer

    check_platforms(settings)  # before anything starts or touches the database
    app = await build(settings)
    try:
        running = platforms(app, settings)
    except BaseException:
        await app.stop()
        raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await app.start()
    started: list[Platform] = []
    try:
        heartbeat = timedelta(seconds=settings.scheduler.heartbeat_seconds)
        for platform in [*running, Timer(app.agenda, app.clock, heartbeat)]:
            await platform.start()
            started.append(platform)
            logging.getLogger("cocreate").info("%s started", platform.name)
        await stop.wait()
    finally:
        for platform in reversed(started):
            await platform.stop()
        await app.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _command(args)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return EXIT_CONFIG
    except DatabaseUnreachable as err:
        print(f"cocreate: {err}", file=sys.stderr)
        return EXIT_UNAVAILABLE


def _command(args: argparse.Namespace) -> int:
    if args.command == "audit":  # from the file alone: no settings, no database
        from bot.audit import verify_file

        ok, lines = verify_file(args.file, args.head)
        print("\n".join(lines))
        return 0 if ok else 1
    settings = load_settings(args.config)
    if args.command == "config":
        print(render_effective(settings))
        return 0
    if args.command == "db":
        _logging(settings)
        try:
            asyncio.run(_upgrade(settings))
        except KeyboardInterrupt:
            return EXIT_INTERRUPTED
        return 0
    if args.command == "demo":
        from adapters.console.demo import run_demo

        return asyncio.run(run_demo())
    if args.command == "run":
        _logging(settings)
        try:
            return asyncio.run(_run(settings))
        except KeyboardInterrupt:  # before the signal handlers were set: still starting
            return EXIT_INTERRUPTED
    if args.command == "discord":
        from adapters.discord.sync import sync_commands

        _logging(settings)
        return asyncio.run(sync_commands(settings))
    if args.command == "slack":
        from adapters.slack.manifest import manifest

        print(json.dumps(manifest(settings), indent=2, ensure_ascii=False))
        return 0
    from adapters.console.app import run_console

    _logging(settings, settings.core.data_dir / "cocreate.log")
    script = Path(args.script) if args.script else None
    try:
        return asyncio.run(run_console(settings, script))
    except BrokenPipeError:
        # The reader went away (`cocreate console | head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
