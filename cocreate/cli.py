"""The `cocreate` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

from bot import logs
from bot.plugins import platform_plugins
from bot.ports import Service
from bot.settings import ConfigError, Settings, load_settings, render_effective
from cocreate.startup import DatabaseUnreachable, check_platforms, settle_heap

EXIT_CONFIG = 2
EXIT_UNAVAILABLE = 1
EXIT_INTERRUPTED = 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cocreate", description="Co-creation challenges for Discord, Slack and the console."
    )
    parser.add_argument("--version", action="version", version=f"cocreate {_version()}")
    parser.add_argument("--config", metavar="PATH", help="TOML settings file")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        # --config is taken after the command too: `cocreate run --config prod.toml`.
        found = sub.add_parser(name, help=summary, description=summary)
        found.add_argument(
            "--config", metavar="PATH", default=argparse.SUPPRESS, help="TOML settings file"
        )
        return found

    console = command("console", "run a community in this terminal, no tokens needed")
    console.add_argument("--script", metavar="FILE", help="run the lines of FILE, then stop")
    config = command("config", "configuration")
    config.add_argument(
        "action", choices=["check"], help="check: print the effective configuration as TOML"
    )
    db = command("db", "database")
    db.add_argument(
        "action",
        choices=["upgrade", "backup", "compact"],
        help="upgrade: migrate to the newest schema; backup: copy the database to PATH; "
        "compact: rewrite a SQLite file with the page size new files get (bot stopped)",
    )
    db.add_argument("path", nargs="?", type=Path, metavar="PATH", help="where backup writes")
    data = command("data", "members' and communities' data")
    data.add_argument(
        "action",
        choices=["purge"],
        help="purge: delete the data of communities that removed the bot more than "
        "data.left_grace_days ago",
    )
    command("run", "run every platform enabled in the settings")
    command("demo", "a scripted two-week challenge in a throwaway folder")
    for name, plugin in platform_plugins().items():  # `cocreate discord sync`, …
        if plugin.commands:
            platform = command(name, plugin.title)
            platform.add_argument(
                "action",
                choices=[c.action for c in plugin.commands],
                help="; ".join(f"{c.action}: {c.summary}" for c in plugin.commands),
            )
    audit = command("audit", "check a vote log exported with /export format:votes")
    audit.add_argument(
        "action", choices=["verify"], help="verify: recompute the chain and the standings"
    )
    audit.add_argument("file", type=Path, help="the exported .jsonl file")
    audit.add_argument("--head", help="the head hash published with the final results")
    return parser


def _version() -> str:
    try:
        return metadata.version("cocreate")
    except metadata.PackageNotFoundError:  # run from a checkout that is not installed
        return "(not installed)"


def _logging(settings: Settings, to_file: Path | None = None) -> None:
    handler: logging.Handler
    if to_file is not None:
        to_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(to_file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logs.formatter(settings.logging.format))
    logging.basicConfig(level=settings.core.log_level, handlers=[handler], force=True)
    # Alembic tells every step of every start at INFO (storage.migrate logs what changed),
    # and APScheduler every ring of the timer (four lines a heartbeat).
    if settings.core.log_level != "DEBUG":
        for chatty in ("alembic", "apscheduler"):
            logging.getLogger(chatty).setLevel(logging.WARNING)
    # Waiting for the database at start is told on the terminal too, not only in the file.
    startup = logging.getLogger("cocreate.startup")
    for old in startup.handlers[:]:
        startup.removeHandler(old)
        old.close()
    if to_file is not None:
        echo = logging.StreamHandler(sys.stderr)
        echo.setLevel(logging.WARNING)
        echo.setFormatter(logs.formatter(settings.logging.format, with_time=False))
        startup.addHandler(echo)


def _told(job: Callable[[], str], refusal: type[Exception]) -> int:
    """Run a maintenance job and print what it says; its refusal is one line on stderr."""
    try:
        print(job())
    except refusal as err:
        print(f"cocreate: {err}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    return 0


async def _upgrade(settings: Settings) -> None:
    from cocreate.bootstrap import open_database
    from storage.migrate import current_revision

    engine = await open_database(settings)
    try:
        print(f"database at revision {await current_revision(engine)}")
    finally:
        await engine.dispose()


async def _purge(settings: Settings) -> int:
    """Delete the data of the communities whose grace period after leaving is over."""
    from cocreate.bootstrap import build

    app = await build(settings)
    try:
        purged = await app.purge_left()
    finally:
        await app.stop()
    days = f"{settings.data.left_grace_days:g}"
    if not purged:
        print(f"no community left the bot more than {days} days ago: nothing to delete")
    for name in purged:
        print(f"deleted the data of {name}")
    return 0


async def _run(settings: Settings) -> int:
    """Start the core, the [http] server if enabled, and every enabled platform in this
    event loop; stop on a signal."""
    from cocreate.bootstrap import build, platforms, timer, web_server

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
    started: list[Service] = []
    try:
        # The server first: it answers /healthz while the platforms connect.
        services: list[Service] = (
            [web_server(app, settings, running)] if settings.http.enabled else []
        )
        services += [*running, timer(app, settings)]
        for service in services:
            await service.start()
            started.append(service)
            logging.getLogger("cocreate").info("%s started", service.name)
        settle_heap()
        await stop.wait()
    finally:
        for service in reversed(started):
            await service.stop()
        await app.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Every error is one line on stderr, never a traceback."""
    args = _parser().parse_args(argv)
    try:
        return _command(args)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return EXIT_CONFIG
    except DatabaseUnreachable as err:
        print(f"cocreate: {err}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except BrokenPipeError:
        # The reader went away (`cocreate slack manifest | head`): stop quietly, as Unix
        # tools do; what Python would still flush goes nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except OSError as err:
        print(
            f"cocreate: {err.strerror or err}: {err.filename or ''}".rstrip(": "), file=sys.stderr
        )
        return EXIT_UNAVAILABLE
    except Exception as err:
        logging.getLogger("cocreate").debug("the command failed", exc_info=True)
        print(f"cocreate: {type(err).__name__}: {err}", file=sys.stderr)
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
    if args.command == "db" and args.action == "backup":
        from storage.backup import BackupError, backup

        if args.path is None:
            print("cocreate: db backup needs a PATH to write to", file=sys.stderr)
            return EXIT_CONFIG
        return _told(lambda: backup(settings.database_url, args.path), BackupError)
    if args.command == "db" and args.action == "compact":
        from storage.compact import CompactError, compact

        return _told(lambda: compact(settings.database_url), CompactError)
    if args.command == "db":
        _logging(settings)
        asyncio.run(_upgrade(settings))
        return 0
    if args.command == "data":
        _logging(settings)
        return asyncio.run(_purge(settings))
    if args.command == "demo":
        from cocreate.bootstrap import run_demo

        return asyncio.run(run_demo())
    if args.command == "run":
        _logging(settings)
        return asyncio.run(_run(settings))
    plugin = platform_plugins().get(args.command)
    if plugin is not None:
        _logging(settings)
        action = next(c for c in plugin.commands if c.action == args.action)
        return action.run(settings)
    from cocreate.bootstrap import run_console

    script = Path(args.script) if args.script else None
    if script is not None and not script.is_file():
        print(f"cocreate: no script file at {script}", file=sys.stderr)
        return EXIT_CONFIG
    _logging(settings, settings.core.data_dir / "cocreate.log")
    return asyncio.run(run_console(settings, script))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
