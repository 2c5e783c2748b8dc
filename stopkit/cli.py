"""The ``stopkit`` command.

- ``stopkit demo``: start every installed venue's simulator on 127.0.0.1, place
  the venues' documented example stop orders through :func:`stopkit.connect`,
  move the simulated prices through the triggers and print what happened.
- ``stopkit preview VENUE ...``: print the exact request stopkit would send, as
  one JSON object, with no network I/O (bearer tokens masked); ``notes`` lists what
  the venue checks only when placing (a bound venue's optional ``preview_notes``).
- ``stopkit venues``: list the registered venues and their capabilities.
- ``stopkit watch VENUE [--simulator] [--json]``: print the venue's live order updates as a table,
  one line per change, or as NDJSON (see :mod:`stopkit.watch`).
- ``stopkit place | get | cancel | orders VENUE ...``: the library's operations on real
  credentials (``place``/``cancel`` ask for confirmation unless ``--yes``), or with ``--paper``
  on the venue's simulator (see :mod:`stopkit.cli_trade`).
- ``stopkit simulate VENUE [--port N]``: serve the venue's simulator for bots in other processes
  and print how to connect (see :mod:`stopkit.simulate`).
- ``stopkit --version``; ``python -m stopkit`` is the same command.
- ``stopkit markets VENUE [--symbol S ...] [--json] [--paper]``: print the venue's markets and
  their order rules (tick and lot size, quantity bounds, minimum notional, price bounds), or why
  there are none.
- ``stopkit watch VENUE [--simulator]``: print the venue's live order updates as a table, one
  line per change (see :mod:`stopkit.watch`).
- ``stopkit journal list|recover VENUE|prune``: the order journal (see :mod:`stopkit.journal.cli`).

``--json`` on every command prints JSON (NDJSON from ``watch``). Errors are one line on stderr
(and with ``--json`` also ``{"error": ...}`` on stdout), no traceback. Exit statuses: 0 done;
1 the venue refused (known: nothing happened) or the confirmation was declined; 2 a usage
error (bad arguments, invalid or unsupported order, missing credentials or config); 3 the outcome
is unknown (the order may exist: check before trying again); 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from stopkit import __version__
from stopkit.api import _bind_for_preview, credentials_from_env, preview
from stopkit.cli_json import EXIT_USAGE, error_json, exit_status
from stopkit.cli_trade import WHOLE_POSITION, add_order_arguments, add_trade_commands, order_from_args, run_trade
from stopkit.errors import StopkitError
from stopkit.registry import available_venues, get_venue

__all__ = ["WHOLE_POSITION", "main"]


class _Parser(argparse.ArgumentParser):
    # argparse prints usage plus the error; we promise one line.
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="stopkit", description="Stop-market and stop-limit orders on many venues.")
    parser.add_argument("--version", action="version", version=f"stopkit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")

    demo = commands.add_parser("demo", help="place the documented example orders on every venue's simulator")
    demo.add_argument("--venue", action="append", dest="venues", help="only this venue (repeatable)")
    demo.add_argument("--json", action="store_true", help="print each order's path as JSON")

    prev = commands.add_parser("preview", help="print the exact request for an order, without sending it")
    prev.add_argument("venue", help="a registered venue name, e.g. pacifica (`stopkit venues` lists them)")
    add_order_arguments(prev)
    prev.add_argument("--now-ms", type=int, help="Unix time in ms to stamp and sign with (default: now)")
    prev.add_argument(
        "--venue-config", action="append", default=[], metavar="KEY=VALUE", help="venue config value (repeatable)"
    )
    prev.add_argument("--json", action="store_true", help="print JSON (the default: the request is JSON)")

    watch = commands.add_parser("watch", help="print live order updates as a table, one line per change")
    watch.add_argument("venue", help="a registered venue name, e.g. pacifica (`stopkit venues` lists them)")
    watch.add_argument(
        "--simulator",
        action="store_true",
        help="start the venue's simulator, place the demo orders and move the price through them, then exit",
    )
    watch.add_argument(
        "--venue-config", action="append", default=[], metavar="KEY=VALUE", help="venue config value (repeatable)"
    )
    watch.add_argument("--json", action="store_true", help="one JSON object per update (NDJSON)")

    add_trade_commands(commands, _Parser)

    sim = commands.add_parser(
        "simulate", help="serve a venue's simulator on 127.0.0.1 for bots in other processes, until Ctrl-C"
    )
    sim.add_argument("venue", help="a registered venue name that ships a simulator, e.g. pacifica")
    sim.add_argument("--port", type=int, default=0, help="the port to listen on (default: a free one)")
    sim.add_argument(
        "--price",
        action="append",
        default=[],
        metavar="SYMBOL=PRICE",
        help="a starting price (repeatable), e.g. BTC/USDC:USDC=50000",
    )
    sim.add_argument("--json", action="store_true", help="print the connection details as one JSON line")

    mkt = commands.add_parser("markets", help="print the venue's markets and their order rules (tick, lot, minimums)")
    mkt.add_argument("venue", help="registered venue name, e.g. pacifica")
    mkt.add_argument(
        "--symbol", action="append", dest="symbols", help="only this market, unified or native (repeatable)"
    )
    mkt.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    mkt.add_argument(
        "--paper",
        "--simulator",
        dest="paper",
        action="store_true",
        help="ask the venue's simulator in this process (demo credentials) instead of the venue",
    )
    mkt.add_argument(
        "--venue-config", action="append", default=[], metavar="KEY=VALUE", help="venue config value (repeatable)"
    )
    jour = commands.add_parser("journal", help="the order journal: list, recover, prune")
    jour.add_argument("--json", dest="journal_json", action="store_true", help="JSON output (as the subcommands')")
    jour_commands = jour.add_subparsers(dest="journal_command", required=True, parser_class=_Parser)
    url_help = "journal URL, e.g. sqlite:///var/lib/bot/orders.db or redis://host:6379/0 (default $STOPKIT_JOURNAL)"
    jlist = jour_commands.add_parser("list", help="print the journal's entries, oldest first")
    jlist.add_argument("--journal", default=os.environ.get("STOPKIT_JOURNAL"), help=url_help)
    jlist.add_argument("--venue", help="only this venue's entries")
    jlist.add_argument(
        "--status",
        action="append",
        default=[],
        choices=[s.value for s in _entry_statuses()],
        help="only entries with this status (repeatable)",
    )
    jlist.add_argument("--json", action="store_true", help="one JSON object per line")
    jrec = jour_commands.add_parser("recover", help="settle the venue's entries left in flight or unknown")
    jrec.add_argument("venue", help="the venue whose entries to settle (credentials from its environment variables)")
    jrec.add_argument("--journal", default=os.environ.get("STOPKIT_JOURNAL"), help=url_help)
    jrec.add_argument("--json", action="store_true", help="one JSON object per line")
    jrec.add_argument(
        "--venue-config", action="append", default=[], metavar="KEY=VALUE", help="venue config value (repeatable)"
    )
    jprune = jour_commands.add_parser("prune", help="delete settled entries older than the retention")
    jprune.add_argument("--journal", default=os.environ.get("STOPKIT_JOURNAL"), help=url_help)
    jprune.add_argument("--older-than-days", type=float, help="age in days (default: the journal's retention_days)")
    jprune.add_argument("--json", action="store_true", help='print {"pruned": N, "older_than_days": D}')

    ven = commands.add_parser("venues", help="list registered venues and their capabilities")
    ven.add_argument("--markdown", action="store_true", help="print the capability matrix as a Markdown table")
    ven.add_argument("--json", action="store_true", help="print the venues and their capabilities as JSON")
    return parser


def _fail(message: str, status: int = EXIT_USAGE) -> NoReturn:
    print(f"stopkit: error: {message}", file=sys.stderr)
    raise SystemExit(status)


def _venue_config(pairs: Sequence[str], *, option: str = "--venue-config", shape: str = "KEY=VALUE") -> dict[str, str]:
    config: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            _fail(f"{option} expects {shape}, got {pair!r}")
        config[key.strip()] = value
    return config


def _cmd_preview(args: argparse.Namespace) -> int:
    order = order_from_args(args)
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


def _shown(key: str, value: Any) -> str:
    # A capability as the matrix and the listing show it. A position effect of None is the
    # venue's default (no PositionEffect member): shown as such, not as a made-up DEFAULT member.
    if isinstance(value, list):
        if key == "position_effects":
            value = ["None (venue default)" if v == "DEFAULT" else v for v in value]
        return ", ".join(value)
    return "yes" if value else "no"


def _markdown_matrix(adapters: list[Any]) -> str:
    # One column per venue, one row per capability.
    caps = [a.capabilities.as_dict() for a in adapters]
    lines = ["| capability | " + " | ".join(a.name for a in adapters) + " |"]
    lines.append("|---|" + "---|" * len(adapters))
    for key in caps[0]:
        lines.append(f"| {key} | " + " | ".join(_shown(key, cap[key]) for cap in caps) + " |")
    lines.append("| env | " + " | ".join(", ".join(f"`{v.name}`" for v in a.env_vars) or "-" for a in adapters) + " |")
    return "\n".join(lines)


def _venue_json(adapter: Any) -> dict[str, Any]:
    return {
        "name": adapter.name,
        "title": adapter.title,
        "doc_url": adapter.doc_url,
        "capabilities": adapter.capabilities.as_dict(),
        "env": [{"name": v.name, "required": v.required, "secret": v.secret} for v in adapter.env_vars],
    }


def _cmd_venues(args: argparse.Namespace) -> int:
    names = available_venues()
    if args.json:
        listed: list[dict[str, Any]] = []
        status = 0
        for name in names:
            try:
                listed.append(_venue_json(get_venue(name)))
            except StopkitError as exc:
                listed.append({"name": name, "error": exc.message})
                status = 1
        print(json.dumps(listed, indent=2))
        return status
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
            print(f"  {key:<24} {_shown(key, value)}")
        env = ", ".join(v.name + ("" if not v.required else " (required)") for v in adapter.env_vars)
        print(f"  {'env':<24} {env or '-'}")
    return status


def _cmd_demo(args: argparse.Namespace) -> int:
    from stopkit.demo import run_demo

    return asyncio.run(run_demo(args.venues, as_json=args.json))


def _cmd_watch(args: argparse.Namespace) -> int:
    from stopkit.watch import run_watch

    config = _venue_config(args.venue_config)
    get_venue(args.venue)  # an unknown venue fails before anything starts
    return asyncio.run(
        run_watch(args.venue, simulator=args.simulator, config=config, out=sys.stdout, as_json=args.json)
    )


def _cmd_trade(args: argparse.Namespace) -> int:
    config = _venue_config(args.venue_config)
    get_venue(args.venue)  # an unknown venue fails before anything starts
    return asyncio.run(run_trade(args, config, out=sys.stdout, err=sys.stderr))


def _cmd_simulate(args: argparse.Namespace) -> int:
    from stopkit.simulate import run_simulate

    prices = _venue_config(args.price, option="--price", shape="SYMBOL=PRICE")
    if not 0 <= args.port <= 65535:
        _fail(f"--port must be 0-65535, got {args.port}")
    return asyncio.run(run_simulate(args.venue, port=args.port, prices=prices, as_json=args.json, out=sys.stdout))


_MARKET_COLUMNS = (
    ("symbol", "symbol"),
    ("venue_symbol", "venue symbol"),
    ("tick_size", "tick"),
    ("lot_size", "lot"),
    ("min_quantity", "min qty"),
    ("max_quantity", "max qty"),
    ("min_notional", "min notional"),
    ("min_price", "min price"),
    ("max_price", "max price"),
)


def _print_markets(markets: Any, *, as_json: bool) -> None:
    rows = [markets[key].as_dict() for key in markets]
    if as_json:
        print(json.dumps({"venue": markets.venue, "reason": markets.reason, "markets": rows}, indent=2))
        return
    if rows:
        table = [[title for _key, title in _MARKET_COLUMNS]]
        table += [["-" if row[key] is None else str(row[key]) for key, _title in _MARKET_COLUMNS] for row in rows]
        widths = [max(len(line[i]) for line in table) for i in range(len(_MARKET_COLUMNS))]
        for line in table:
            print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
    else:
        print(f"{markets.venue}: no markets")
    if markets.reason:
        print(f"note: {markets.reason}")


async def _markets(args: argparse.Namespace) -> int:
    from stopkit.api import connect

    config = _venue_config(args.venue_config)
    async with connect(args.venue, config=config or None, paper=args.paper) as client:
        markets = await client.markets(args.symbols)
    _print_markets(markets, as_json=args.json)
    return 0


def _cmd_markets(args: argparse.Namespace) -> int:
    get_venue(args.venue)  # an unknown venue fails before anything starts
    return asyncio.run(_markets(args))


def _entry_statuses() -> list[Any]:
    from stopkit.journal import EntryStatus

    return list(EntryStatus)


def _cmd_journal(args: argparse.Namespace) -> int:
    from stopkit.journal.cli import run_list, run_prune, run_recover

    if not args.journal:
        _fail("give --journal URL (or set STOPKIT_JOURNAL), e.g. sqlite:///var/lib/bot/orders.db")
    as_json = bool(args.json or args.journal_json)
    if args.journal_command == "list":
        return asyncio.run(run_list(args.journal, venue=args.venue, statuses=args.status, as_json=as_json))
    if args.journal_command == "recover":
        get_venue(args.venue)  # an unknown venue fails before anything starts
        config = _venue_config(args.venue_config)
        return asyncio.run(run_recover(args.journal, args.venue, config=config, as_json=as_json))
    return asyncio.run(run_prune(args.journal, older_than_days=args.older_than_days, as_json=as_json))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``stopkit`` command; returns the exit status (raises ``SystemExit`` for errors).

    Exit statuses: see :mod:`stopkit.cli_json` (0 done, 1 refused, 2 usage error, 3 outcome unknown).
    """
    args = _build_parser().parse_args(argv)
    handlers = {
        "demo": _cmd_demo,
        "markets": _cmd_markets,
        "preview": _cmd_preview,
        "venues": _cmd_venues,
        "watch": _cmd_watch,
        "place": _cmd_trade,
        "get": _cmd_trade,
        "cancel": _cmd_trade,
        "orders": _cmd_trade,
        "simulate": _cmd_simulate,
        "journal": _cmd_journal,
    }
    try:
        return handlers[args.command](args)
    except StopkitError as exc:
        if getattr(args, "json", False):
            print(json.dumps(error_json(exc)), flush=True)
        _fail(str(exc), exit_status(exc))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `stopkit venues | head -1`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
