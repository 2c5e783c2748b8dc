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
- ``stopkit markets VENUE [--symbol S ...] [--json] [--simulator]``: print the venue's markets and
  their order rules (tick and lot size, quantity bounds, minimum notional, price bounds), or why
  there are none.

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

    mkt = commands.add_parser("markets", help="print the venue's markets and their order rules (tick, lot, minimums)")
    mkt.add_argument("venue", help="registered venue name, e.g. pacifica")
    mkt.add_argument(
        "--symbol", action="append", dest="symbols", help="only this market, unified or native (repeatable)"
    )
    mkt.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    mkt.add_argument(
        "--simulator", action="store_true", help="ask the venue's simulator (demo credentials) instead of the venue"
    )
    mkt.add_argument(
        "--venue-config", action="append", default=[], metavar="KEY=VALUE", help="venue config value (repeatable)"
    )

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

    adapter = get_venue(args.venue)
    config: dict[str, Any] = dict(_venue_config(args.venue_config))
    sim = adapter.simulator() if args.simulator else None
    if args.simulator and sim is None:
        _fail(f"{adapter.name} has no simulator")
    try:
        if sim is not None:
            base_url = await sim.start()
            credentials: Any = sim.demo_credentials()
            config = {**sim.demo_config(base_url), **config}
        else:
            credentials = credentials_from_env(adapter, os.environ)
        async with connect(adapter, credentials=credentials, config=config) as client:
            markets = await client.markets(args.symbols)
    finally:
        if sim is not None:
            await sim.stop()
    _print_markets(markets, as_json=args.json)
    return 0


def _cmd_markets(args: argparse.Namespace) -> int:
    get_venue(args.venue)  # an unknown venue fails before anything starts
    return asyncio.run(_markets(args))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``stopkit`` command; returns the exit status."""
    args = _build_parser().parse_args(argv)
    handlers = {
        "demo": _cmd_demo,
        "markets": _cmd_markets,
        "preview": _cmd_preview,
        "venues": _cmd_venues,
        "watch": _cmd_watch,
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
