"""``stopkit place | get | cancel | orders``: the library's operations from the command line.

Each connects with the venue's environment credentials (``stopkit venues`` lists the
variables) and ``--venue-config KEY=VALUE`` settings, or with ``--paper`` to the venue's
simulator in this process (:mod:`stopkit.paper`; it starts empty, so ``get``/``cancel``/
``orders --paper`` see only what the same command placed: for a session across commands, serve
one with ``stopkit simulate VENUE`` and point the commands at it as it prints).

``place`` and ``cancel`` ask for confirmation on stdin unless ``--yes`` (or ``--paper``); an
answer other than ``y``/``yes`` (or no answer) sends nothing and exits 1. Spellings are the
library's: ``--kind stop-market|stop-limit``, ``--side buy|sell`` (any case), trigger and time
in force by name or value (``MARK_PRICE`` or ``mark``). Exit statuses: :mod:`stopkit.cli_json`.
"""

from __future__ import annotations

import argparse
import enum
import json
import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TextIO, TypeVar

from stopkit.api import connect
from stopkit.cli_json import EXIT_DECLINED, EXIT_OK, state_json
from stopkit.errors import InvalidOrder
from stopkit.orders import (
    AnyStopOrder,
    OrderKind,
    PositionEffect,
    Side,
    StopLimitOrder,
    StopOrder,
    TimeInForce,
    TriggerType,
)
from stopkit.state import OrderState
from stopkit.wire import format_decimal

__all__ = ["WHOLE_POSITION", "add_order_arguments", "add_trade_commands", "order_from_args", "run_trade"]

WHOLE_POSITION = "whole-position"
E = TypeVar("E", bound=enum.Enum)

# Accepted for --kind besides the library's spellings (the preview command's older "stop").
_KIND_ALIASES = {"stop": OrderKind.STOP_MARKET}


def _spellings(enum_cls: type[enum.Enum]) -> str:
    return ", ".join(f"{m.name} ({m.value})" if m.name.lower() != m.value else m.name for m in enum_cls)


def enum_arg(enum_cls: type[E], *, members: tuple[E, ...] | None = None) -> Callable[[str], E]:
    """An argparse ``type`` taking a member's name or value in any case, as the library does."""
    allowed = members or tuple(enum_cls)

    def convert(text: str) -> E:
        folded = text.strip().lower()
        for member in allowed:
            if folded in (str(member.value).lower(), member.name.lower()):
                return member
        alias = _KIND_ALIASES.get(folded) if enum_cls is OrderKind else None
        if alias is not None:
            return alias  # type: ignore[return-value]  # OrderKind is E here
        names = ", ".join(str(m.value) if enum_cls is OrderKind else m.name for m in allowed)
        raise argparse.ArgumentTypeError(f"expected one of {names}, got {text!r}")

    convert.__name__ = enum_cls.__name__  # argparse names the type in its messages
    return convert


def _venue_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("venue", help="a registered venue name, e.g. pacifica (`stopkit venues` lists them)")


def add_common_arguments(parser: argparse.ArgumentParser, *, paper: bool = True) -> None:
    """``--venue-config``, ``--json`` and (optionally) ``--paper``."""
    parser.add_argument(
        "--venue-config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a venue config setting (repeatable), e.g. base_url=https://...",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    if paper:
        parser.add_argument(
            "--paper",
            action="store_true",
            help="use the venue's simulator in this process, with its demo credentials (no confirmation asked)",
        )


def add_order_arguments(parser: argparse.ArgumentParser) -> None:
    """The order's options, shared by ``place`` and ``preview``."""
    stop_kinds = (OrderKind.STOP_MARKET, OrderKind.STOP_LIMIT)
    parser.add_argument(
        "--kind",
        type=enum_arg(OrderKind, members=stop_kinds),
        required=True,
        metavar="{stop-market,stop-limit}",
        help="stop-market (a market order once triggered) or stop-limit (a limit order at --limit-price)",
    )
    parser.add_argument(
        "--symbol", required=True, help="unified (BTC/USDC:USDC, BTC/USDT, AAPL) or venue-native symbol"
    )
    parser.add_argument(
        "--side", type=enum_arg(Side), required=True, metavar="{buy,sell}", help="buy or sell (any case: SELL, sell)"
    )
    parser.add_argument(
        "--quantity", required=True, help=f"decimal quantity, or '{WHOLE_POSITION}' (close the whole position)"
    )
    parser.add_argument("--stop-price", required=True, help="the trigger price (decimal, quote currency)")
    parser.add_argument("--limit-price", help="the limit of the released order (decimal; stop-limit only)")
    parser.add_argument(
        "--position-effect",
        type=enum_arg(PositionEffect),
        metavar="{open,close}",
        help="open, or close (reduce-only); default: the venue's",
    )
    parser.add_argument(
        "--trigger",
        type=enum_arg(TriggerType),
        default=TriggerType.DEFAULT,
        metavar="TRIGGER",
        help=f"the reference price that triggers, by name or value: {_spellings(TriggerType)}; default DEFAULT",
    )
    parser.add_argument(
        "--time-in-force",
        type=enum_arg(TimeInForce),
        default=TimeInForce.GTC,
        metavar="{gtc,day,ioc,fok,gtd}",
        help="of the released order (any case); default gtc; gtd needs --expire-at",
    )
    parser.add_argument("--expire-at", help="ISO 8601 with a UTC offset, e.g. 2026-12-01T00:00:00Z (gtd only)")
    parser.add_argument("--client-order-id", help="your id for the order (default: a new UUID)")


def order_from_args(args: argparse.Namespace) -> AnyStopOrder:
    """The order the options describe.

    Raises:
        InvalidOrder: a malformed value (naming the field), or ``--limit-price`` with a stop-market.
    """
    expire_at = None
    if args.expire_at:
        text = args.expire_at.strip()
        try:
            expire_at = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            raise InvalidOrder(
                f"--expire-at is not an ISO 8601 date-time: {args.expire_at!r}", field="expire_at"
            ) from None
    quantity = None if args.quantity == WHOLE_POSITION else args.quantity
    if args.kind is OrderKind.STOP_MARKET:
        if args.limit_price is not None:
            raise InvalidOrder("--limit-price is only valid with --kind stop-limit", field="limit_price")
        return StopOrder(
            symbol=args.symbol,
            side=args.side,
            quantity=quantity,
            stop_price=args.stop_price,
            position_effect=args.position_effect,
            trigger_type=args.trigger,
            time_in_force=args.time_in_force,
            expire_at=expire_at,
            client_order_id=args.client_order_id,
        )
    return StopLimitOrder(
        symbol=args.symbol,
        side=args.side,
        quantity=quantity,
        stop_price=args.stop_price,
        limit_price=args.limit_price,
        position_effect=args.position_effect,
        trigger_type=args.trigger,
        time_in_force=args.time_in_force,
        expire_at=expire_at,
        client_order_id=args.client_order_id,
    )


def _id_arguments(parser: argparse.ArgumentParser) -> None:
    ids = parser.add_mutually_exclusive_group(required=True)
    ids.add_argument("--venue-order-id", help="the venue's id of the order")
    ids.add_argument("--client-order-id", help="your client order id of the order")
    parser.add_argument("--symbol", help="the order's symbol (venues that key orders per market need it)")


def add_trade_commands(commands: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """Add ``place``, ``get``, ``cancel`` and ``orders`` to the ``stopkit`` subcommands."""
    place = commands.add_parser("place", help="place a stop order (asks for confirmation unless --yes)")
    _venue_argument(place)
    add_order_arguments(place)
    place.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_common_arguments(place)

    get = commands.add_parser("get", help="read one order back")
    _venue_argument(get)
    _id_arguments(get)
    add_common_arguments(get)

    cancel = commands.add_parser("cancel", help="cancel one order (asks for confirmation unless --yes)")
    _venue_argument(cancel)
    _id_arguments(cancel)
    cancel.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_common_arguments(cancel)

    orders = commands.add_parser("orders", help="list the open stop orders")
    _venue_argument(orders)
    orders.add_argument("--symbol", help="only this symbol's")
    add_common_arguments(orders)


def _describe(order: AnyStopOrder) -> str:
    quantity = "the whole position" if order.quantity is None else format_decimal(order.quantity)
    text = f"{order.side.name} {quantity} {order.symbol} {order.kind.value} stop {format_decimal(order.stop_price)}"
    if isinstance(order, StopLimitOrder):
        text += f" limit {format_decimal(order.limit_price)}"
    if order.position_effect is not None:
        text += f" {order.position_effect.name}"
    return text + f" {order.time_in_force.name} (client order id {order.client_order_id})"


def _confirm(question: str, *, stdin: TextIO, err: TextIO) -> bool:
    print(f"{question} [y/N] ", end="", file=err, flush=True)
    answer = stdin.readline()
    if not answer or not (hasattr(stdin, "isatty") and stdin.isatty()):
        print("", file=err)  # the answer was not typed at a terminal: end the prompt's line
    return answer.strip().lower() in ("y", "yes")


_TEXT_FIELDS: tuple[tuple[str, Callable[[OrderState], str]], ...] = (
    ("venue", lambda s: s.venue),
    ("venue order id", lambda s: s.venue_order_id or "-"),
    ("client order id", lambda s: s.client_order_id or "-"),
    ("symbol", lambda s: s.symbol),
    ("side", lambda s: s.side.name),
    ("kind", lambda s: s.kind.value),
    ("status", lambda s: f"{s.status.name} (venue: {s.venue_status})"),
    ("quantity", lambda s: _dec(s.quantity, none="whole position")),
    ("filled", lambda s: _dec(s.filled_quantity)),
    ("stop price", lambda s: _dec(s.stop_price)),
    ("limit price", lambda s: _dec(s.limit_price)),
)


def _dec(value: Any, *, none: str = "-") -> str:
    return none if value is None else format_decimal(value)


def _print_state(state: OrderState, out: TextIO) -> None:
    for label, get in _TEXT_FIELDS:
        print(f"{label:<16} {get(state)}", file=out)
    if state.reason:
        print(f"{'reason':<16} {state.reason}", file=out)


def _print_states(states: list[OrderState], out: TextIO) -> None:
    if not states:
        print("no open stop orders", file=out)
        return
    rows = [["venue order id", "client order id", "symbol", "side", "kind", "status", "qty", "stop", "limit"]]
    for s in states:
        rows.append(
            [
                s.venue_order_id or "-",
                s.client_order_id or "-",
                s.symbol,
                s.side.name,
                s.kind.value,
                s.status.name,
                _dec(s.quantity, none="whole"),
                _dec(s.stop_price),
                _dec(s.limit_price),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip(), file=out)


async def run_trade(
    args: argparse.Namespace, config: Mapping[str, str], *, out: TextIO, err: TextIO, stdin: TextIO | None = None
) -> int:
    """Run ``place``/``get``/``cancel``/``orders`` as parsed; returns the exit status.

    Raises:
        StopkitError: as the library's operation (the caller maps it to an exit status).
    """
    stdin = sys.stdin if stdin is None else stdin
    order = order_from_args(args) if args.command == "place" else None
    ask = args.command in ("place", "cancel") and not args.yes and not args.paper
    async with connect(args.venue, config=config or None, paper=args.paper) as venue:
        if args.command == "orders":
            states = await venue.open_orders(args.symbol)
            if args.json:
                print(json.dumps([state_json(s) for s in states]), file=out)
            else:
                _print_states(states, out)
            return EXIT_OK
        if order is not None:
            if ask and not _confirm(f"Place on {venue.name}: {_describe(order)}?", stdin=stdin, err=err):
                print("not confirmed: nothing sent", file=err)
                return EXIT_DECLINED
            state = await venue.place(order)
        elif args.command == "cancel":
            which = args.venue_order_id or f"client order id {args.client_order_id}"
            if ask and not _confirm(f"Cancel order {which} on {venue.name}?", stdin=stdin, err=err):
                print("not confirmed: nothing sent", file=err)
                return EXIT_DECLINED
            state = await venue.cancel(
                venue_order_id=args.venue_order_id, client_order_id=args.client_order_id, symbol=args.symbol
            )
        else:
            state = await venue.get(
                venue_order_id=args.venue_order_id, client_order_id=args.client_order_id, symbol=args.symbol
            )
    if args.json:
        print(json.dumps(state_json(state)), file=out)
    else:
        _print_state(state, out)
    return EXIT_OK
