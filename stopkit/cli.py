"""The ``stopkit`` command.

- ``stopkit demo``: start every installed venue's simulator on 127.0.0.1, place
  the venues' documented example stop orders through :func:`stopkit.connect`,
  move the simulated prices through the triggers and print what happened.
- ``stopkit preview VENUE ...``: print the exact request stopkit would send, as
  one JSON object, with no network I/O (bearer tokens masked); ``notes`` lists what
  the venue checks only when placing (a bound venue's optional ``preview_notes``).
- ``stopkit venues``: list the registered venues and their capabilities.
- ``stopkit watch VENUE [--simulator]``: print the venue's live order updates as a table, one
  line per change (see :mod:`stopkit.watch`).
- ``stopkit journal list|recover VENUE|prune``: the order journal (see :mod:`stopkit.journal.cli`).

Bad input exits with status 2 and one line on stderr; no traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NoReturn

from stopkit.api import _bind_for_preview, credentials_from_env, preview
from stopkit.errors import StopkitError
from stopkit.orders import AnyStopOrder, StopLimitOrder, StopOrder
from stopkit.registry import available_venues, get_venue

__all__ = ["main"]

WHOLE_POSITION = "whole-position"


class _Parser(argparse.ArgumentParser):
    # argparse prints usage plus the error; we promise one line.
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="stopkit", description="Stop-market and stop-limit orders on many venues.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = commands.add_parser("demo", help="place the documented example orders on every venue's simulator")
    demo.add_argument("--venue", action="append", dest="venues", help="only this venue (repeatable)")

    prev = commands.add_parser("preview", help="print the exact request for an order, without sending it")
    prev.add_argument("venue")
    prev.add_argument("--kind", choices=["stop", "stop-limit"], required=True)
    prev.add_argument("--symbol", required=True)
    prev.add_argument("--side", choices=["buy", "sell"], required=True)
    prev.add_argument(
        "--quantity", required=True, help=f"decimal quantity, or '{WHOLE_POSITION}' (close the whole position)"
    )
    prev.add_argument("--stop-price", required=True)
    prev.add_argument("--limit-price")
    prev.add_argument("--position-effect", choices=["open", "close"])
    prev.add_argument("--trigger", choices=["default", "mark", "last", "mid", "index"], default="default")
    prev.add_argument("--time-in-force", choices=["gtc", "day", "ioc", "fok", "gtd"], default="gtc")
    prev.add_argument("--expire-at", help="ISO 8601 with a UTC offset, e.g. 2026-12-01T00:00:00Z (GTD only)")
    prev.add_argument("--client-order-id")
    prev.add_argument("--now-ms", type=int, help="Unix time in ms to stamp and sign with (default: now)")
    prev.add_argument(
        "--venue-config", action="append", default=[], metavar="KEY=VALUE", help="venue config value (repeatable)"
    )

    watch = commands.add_parser("watch", help="print live order updates as a table, one line per change")
    watch.add_argument("venue")
    watch.add_argument(
        "--simulator",
        action="store_true",
        help="start the venue's simulator, place the demo orders and move the price through them, then exit",
    )
    watch.add_argument(
        "--venue-config", action="append", default=[], metavar="KEY=VALUE", help="venue config value (repeatable)"
    )

    jour = commands.add_parser("journal", help="the order journal: list, recover, prune")
    jour_commands = jour.add_subparsers(dest="journal_command", required=True, parser_class=_Parser)
    journal_url = {"default": os.environ.get("STOPKIT_JOURNAL"), "help": "journal URL (default $STOPKIT_JOURNAL)"}
    jlist = jour_commands.add_parser("list", help="print the journal's entries, oldest first")
    jlist.add_argument("--journal", **journal_url)  # type: ignore[arg-type]
    jlist.add_argument("--venue")
    jlist.add_argument("--status", action="append", default=[], choices=[s.value for s in _entry_statuses()])
    jlist.add_argument("--json", action="store_true", help="one JSON object per line")
    jrec = jour_commands.add_parser("recover", help="settle the venue's entries left in flight or unknown")
    jrec.add_argument("venue")
    jrec.add_argument("--journal", **journal_url)  # type: ignore[arg-type]
    jrec.add_argument("--json", action="store_true", help="one JSON object per line")
    jrec.add_argument(
        "--venue-config", action="append", default=[], metavar="KEY=VALUE", help="venue config value (repeatable)"
    )
    jprune = jour_commands.add_parser("prune", help="delete settled entries older than the retention")
    jprune.add_argument("--journal", **journal_url)  # type: ignore[arg-type]
    jprune.add_argument("--older-than-days", type=float)

    ven = commands.add_parser("venues", help="list registered venues and their capabilities")
    ven.add_argument("--markdown", action="store_true", help="print the capability matrix as a Markdown table")
    return parser


def _fail(message: str) -> NoReturn:
    print(f"stopkit: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _order_from_args(args: argparse.Namespace) -> AnyStopOrder:
    expire_at = None
    if args.expire_at:
        text = args.expire_at.strip()
        try:
            expire_at = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            _fail(f"--expire-at is not an ISO 8601 date-time: {args.expire_at!r}")
    quantity = None if args.quantity == WHOLE_POSITION else args.quantity
    common: dict[str, Any] = {
        "symbol": args.symbol,
        "side": args.side,
        "quantity": quantity,
        "stop_price": args.stop_price,
        "position_effect": args.position_effect,
        "trigger_type": args.trigger,
        "time_in_force": args.time_in_force,
        "expire_at": expire_at,
    }
    if args.client_order_id is not None:
        common["client_order_id"] = args.client_order_id
    if args.kind == "stop":
        if args.limit_price is not None:
            _fail("--limit-price is only valid with --kind stop-limit")
        return StopOrder(**common)
    return StopLimitOrder(limit_price=args.limit_price, **common)


def _venue_config(pairs: Sequence[str]) -> dict[str, str]:
    config: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            _fail(f"--venue-config expects KEY=VALUE, got {pair!r}")
        config[key.strip()] = value
    return config


def _cmd_preview(args: argparse.Namespace) -> int:
    order = _order_from_args(args)
    adapter = get_venue(args.venue)
    credentials = credentials_from_env(adapter, os.environ)
    config = _venue_config(args.venue_config)
    request = preview(adapter, order, credentials=credentials, config=config, now_ms=args.now_ms)
    # What a preview cannot do without I/O (e.g. a check against market metadata), when the venue says.
    notes = list(getattr(_bind_for_preview(adapter, credentials, config), "preview_notes", ()) or ())
    body_text = None if request.body is None else request.body.decode("utf-8")
    body: Any = None
    if body_text is not None:
        try:
            body = json.loads(body_text)
        except ValueError:
            body = None
    out = {
        "method": request.method,
        "url": request.url,
        "headers": request.masked_headers(),
        "body": body,
        "body_text": body_text,
    }
    if notes:
        out["notes"] = [str(note) for note in notes]
    print(json.dumps(out, indent=2))
    return 0


def _markdown_matrix(adapters: list[Any]) -> str:
    # One column per venue, one row per capability.
    caps = [a.capabilities.as_dict() for a in adapters]
    lines = ["| capability | " + " | ".join(a.name for a in adapters) + " |"]
    lines.append("|---|" + "---|" * len(adapters))
    for key in caps[0]:
        cells = []
        for cap in caps:
            value = cap[key]
            cells.append(", ".join(value) if isinstance(value, list) else ("yes" if value else "no"))
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    lines.append("| env | " + " | ".join(", ".join(f"`{v.name}`" for v in a.env_vars) or "-" for a in adapters) + " |")
    return "\n".join(lines)


def _cmd_venues(args: argparse.Namespace) -> int:
    names = available_venues()
    if not names:
        print("no venues installed")
        return 0
    if args.markdown:
        adapters, broken = [], []
        for name in names:
            try:
                adapters.append(get_venue(name))
            except StopkitError as exc:
                broken.append(f"{name}: unavailable: {exc.message}")
        if adapters:
            print(_markdown_matrix(adapters))
        for line in broken:
            print(f"\n{line}")
        return 1 if broken else 0
    status = 0
    for name in names:
        try:
            adapter = get_venue(name)
        except StopkitError as exc:
            print(f"{name}: unavailable: {exc.message}")
            status = 1
            continue
        caps = adapter.capabilities.as_dict()
        print(f"{name}: {adapter.title} ({adapter.doc_url})")
        for key, value in caps.items():
            shown = ", ".join(value) if isinstance(value, list) else ("yes" if value else "no")
            print(f"  {key:<24} {shown}")
        env = ", ".join(v.name + ("" if not v.required else " (required)") for v in adapter.env_vars)
        print(f"  {'env':<24} {env or '-'}")
    return status


def _cmd_demo(args: argparse.Namespace) -> int:
    from stopkit.demo import run_demo

    return asyncio.run(run_demo(args.venues))


def _cmd_watch(args: argparse.Namespace) -> int:
    from stopkit.watch import run_watch

    config = _venue_config(args.venue_config)
    get_venue(args.venue)  # an unknown venue fails before anything starts
    return asyncio.run(run_watch(args.venue, simulator=args.simulator, config=config, out=sys.stdout))


def _entry_statuses() -> list[Any]:
    from stopkit.journal import EntryStatus

    return list(EntryStatus)


def _cmd_journal(args: argparse.Namespace) -> int:
    from stopkit.journal.cli import run_list, run_prune, run_recover

    if not args.journal:
        _fail("give --journal URL (or set STOPKIT_JOURNAL), e.g. sqlite:///var/lib/bot/orders.db")
    if args.journal_command == "list":
        return asyncio.run(run_list(args.journal, venue=args.venue, statuses=args.status, as_json=args.json))
    if args.journal_command == "recover":
        get_venue(args.venue)  # an unknown venue fails before anything starts
        config = _venue_config(args.venue_config)
        return asyncio.run(run_recover(args.journal, args.venue, config=config, as_json=args.json))
    return asyncio.run(run_prune(args.journal, older_than_days=args.older_than_days))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``stopkit`` command; returns the exit status."""
    args = _build_parser().parse_args(argv)
    handlers = {
        "demo": _cmd_demo,
        "preview": _cmd_preview,
        "venues": _cmd_venues,
        "watch": _cmd_watch,
        "journal": _cmd_journal,
    }
    try:
        return handlers[args.command](args)
    except StopkitError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `stopkit venues | head -1`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
