"""The Alpaca venue adapter: config, credentials, order checks and flows (pure).

Alpaca's Trading API (https://docs.alpaca.markets/reference/postorder) for US equities. What this
adapter does, and why:

- **Auth**: ``APCA-API-KEY-ID`` / ``APCA-API-SECRET-KEY`` headers on every request, from
  ``APCA_API_KEY_ID`` / ``APCA_API_SECRET_KEY``. No tokens, no signatures, no timestamps.
- **Hosts**: paper ``https://paper-api.alpaca.markets`` (default) or live
  ``https://api.alpaca.markets`` (config ``paper=false``); ``base_url`` overrides both.
- **Place** ``POST /v2/orders`` with ``type`` ``stop`` / ``stop_limit``, ``time_in_force`` DAY or
  GTC, and our ``client_order_id``.
- **No duplicates, safe resends**: Alpaca refuses a second order with the same
  ``client_order_id`` (unique per account). After a placement whose outcome is unknown (timeout,
  5xx, unreadable answer) :meth:`AlpacaBoundVenue.reconcile_flow` looks the order up by
  ``client_order_id``; if Alpaca does not have it, it resends the identical request once (config
  ``resend_after_unknown``): either that creates the order, or Alpaca refuses it as a duplicate
  because the first send landed meanwhile, and the order is looked up again. Either way at most
  one order exists.
- **Read** ``GET /v2/orders/{id}`` or ``GET /v2/orders:by_client_order_id``, following
  ``replaced_by`` to the live order after a replace. **List** ``GET /v2/orders?status=open``
  (stop types only). **Cancel** ``DELETE /v2/orders/{id}`` (204), then read back.
  **Modify** ``PATCH /v2/orders/{id}``: Alpaca replaces the order with a new one (new ``id`` and
  ``client_order_id``); the old one reads ``replaced``.
- **Triggers are invisible**: an armed and a triggered-but-unfilled stop both read ``new``
  (ACCEPTED) until fills arrive, so ``reports_trigger=False``.
- **Position effect**: Alpaca has ``side`` ``buy``/``sell`` only, no open/close flag: a sell
  without a long position is a short sale, a buy with a short position covers it. Neither OPEN nor
  CLOSE can be guaranteed, so only ``position_effect=None`` (venue default) is accepted.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs
from stopkit.plugin import (
    Amendment,
    AnyStopOrder,
    AuthenticationError,
    BoundVenue,
    Capabilities,
    ConfigurationError,
    Credentials,
    DuplicateClientOrderId,
    EnvVar,
    Exchange,
    Flow,
    HttpRequest,
    HttpResponse,
    InvalidOrder,
    OrderKind,
    OrderNotFound,
    OrderRef,
    OrderRejected,
    OrderState,
    RateLimit,
    RateLimited,
    Refusal,
    RemoteError,
    RequestContext,
    ResponseShapeError,
    Simulator,
    StopLimitOrder,
    TimeInForce,
    TriggerType,
    VenueAdapter,
    format_decimal,
    structure_config,
)

from stopkit_alpaca import parse, translate
from stopkit_alpaca.constants import (
    CLIENT_ORDER_ID_MAX_LEN,
    DOC_ERRORS,
    DOC_URL,
    ENV_KEY_ID,
    ENV_SECRET_KEY,
    LIST_LIMIT,
    LIVE_BASE_URL,
    MAX_REPLACE_HOPS,
    PAPER_BASE_URL,
    RATE_LIMIT_PER_MIN,
    SYMBOL_MAX_LEN,
    VENUE_NAME,
)
from stopkit_alpaca.mapping import KIND_TO_TYPE, SIDE_TO_VENUE, TYPE_TO_KIND

__all__ = ["AlpacaAdapter", "AlpacaBoundVenue", "AlpacaConfig"]

# Pages of open orders read at most (500 each) before giving up.
_MAX_LIST_PAGES = 20


def _base_url(value: object) -> str:
    # Strip spaces and trailing slashes; "" = choose by `paper`.
    if not isinstance(value, str):
        raise ValueError(f"base_url must be a string, got {type(value).__name__}")
    return value.strip().rstrip("/")


def _check_base_url(_instance: object, _attribute: object, value: str) -> None:
    # "" or an absolute http(s) URL without query or fragment.
    if value and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
        raise ValueError(f"base_url must be an absolute http(s) URL, got {value!r}")


@attrs.frozen(kw_only=True)
class AlpacaConfig:
    """Alpaca venue config (``config={...}`` or ``--venue-config KEY=VALUE``).

    Fields:
        paper: ``True`` (default) → ``https://paper-api.alpaca.markets``; ``False`` → the live
            ``https://api.alpaca.markets`` (https://docs.alpaca.markets/docs/paper-trading).
        base_url: overrides the host chosen by ``paper`` (e.g. a simulator); ``""`` = by ``paper``.
        fractional_shares: allow a fractional ``qty`` (default ``False``: whole shares). Alpaca
            documents fractional orders as DAY only [unverified for stops], so a fractional stop
            must be DAY.
        resend_after_unknown: after a placement with an unknown outcome that the lookup by
            ``client_order_id`` does not find, resend it once with the same ``client_order_id``
            (default ``True``; safe because Alpaca refuses a duplicate ``client_order_id``).
    """

    paper: bool = True
    base_url: str = attrs.field(default="", converter=_base_url, validator=_check_base_url)
    fractional_shares: bool = False
    resend_after_unknown: bool = True

    @property
    def url(self) -> str:
        """The REST root in use: ``base_url``, else the paper or live host."""
        if self.base_url:
            return self.base_url
        return PAPER_BASE_URL if self.paper else LIVE_BASE_URL


_SYMBOL_RE = re.compile(r"[A-Z][A-Z0-9.\-]*")
_CREDENTIAL_RE = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces (header-safe)
# Fractional quantities: Alpaca accepts up to 9 decimal places [unverified].
_QTY_MAX_DECIMALS = 9


def _decimals(value: Decimal) -> int:
    # Digits after the point in canonical form (145.000 has 0, 0.0001 has 4).
    text = format_decimal(value)
    return len(text.split(".", 1)[1]) if "." in text else 0


def check_price_increment(field: str, value: Decimal) -> None:
    """Alpaca's sub-penny rule: at most 2 decimals at or above $1.00, at most 4 below.

    Source: "Orders at Alpaca", sub-penny increments (https://docs.alpaca.markets/docs/orders-at-alpaca);
    the venue answers 422 "sub-penny increment does not fulfill minimum pricing criteria".

    Raises:
        InvalidOrder: naming ``field``.
    """
    allowed = 2 if value >= 1 else 4
    if _decimals(value) > allowed:
        raise InvalidOrder(
            f"{VENUE_NAME}: {field} {format_decimal(value)} has more than {allowed} decimal places"
            f" (sub-penny rule: 2 at or above $1.00, 4 below)",
            field=field,
            venue=VENUE_NAME,
        )


class AlpacaBoundVenue(BoundVenue):
    """Alpaca bound to one account's API key and a config. Pure; the keys are masked in repr.

    Symbols: US equity tickers (``AAPL``, ``BRK.B``); lower-case input is upper-cased. Crypto pairs
    (``BTC/USD``) are not handled by this plugin.
    """

    def __init__(self, adapter: VenueAdapter, *, config: AlpacaConfig, key_id: str, secret_key: str) -> None:
        super().__init__(adapter)
        self.config = config
        self._key_id = key_id
        self._secret_key = secret_key

    def __repr__(self) -> str:
        return f"AlpacaBoundVenue(base_url={self.config.url!r}, paper={self.config.paper!r}, keys='***')"

    __str__ = __repr__

    # -- checks ---------------------------------------------------------------------

    def native_symbol(self, symbol: str) -> str:
        """The Alpaca ticker for ``symbol`` (upper-cased). Raises :class:`InvalidOrder` naming ``symbol``."""
        native = symbol.strip().upper()
        if "/" in native:
            raise InvalidOrder(
                f"{VENUE_NAME}: {symbol!r} looks like a crypto pair; this plugin places US equity stops only",
                field="symbol",
                venue=VENUE_NAME,
            )
        if not (1 <= len(native) <= SYMBOL_MAX_LEN) or not _SYMBOL_RE.fullmatch(native):
            raise InvalidOrder(
                f"{VENUE_NAME}: symbol must be a US equity ticker like AAPL or BRK.B, got {symbol!r}",
                field="symbol",
                venue=VENUE_NAME,
            )
        return native

    def _check_quantity(self, quantity: Decimal, time_in_force: TimeInForce | None) -> None:
        # Whole shares unless fractional_shares; fractional ones at most 9 decimals and DAY only.
        if quantity == quantity.to_integral_value():
            return
        if not self.config.fractional_shares:
            raise InvalidOrder(
                f"{VENUE_NAME}: quantity must be whole shares, got {format_decimal(quantity)}"
                " (set fractional_shares=true if the account trades fractions)",
                field="quantity",
                venue=VENUE_NAME,
            )
        if _decimals(quantity) > _QTY_MAX_DECIMALS:
            raise InvalidOrder(
                f"{VENUE_NAME}: quantity has more than {_QTY_MAX_DECIMALS} decimal places",
                field="quantity",
                venue=VENUE_NAME,
            )
        if time_in_force is not None and time_in_force is not TimeInForce.DAY:
            raise InvalidOrder(
                f"{VENUE_NAME}: a fractional quantity needs time_in_force=DAY (Alpaca: fractional orders are day"
                " orders)",
                field="quantity",
                venue=VENUE_NAME,
            )

    def check_order(self, order: AnyStopOrder) -> None:
        """Capabilities, then Alpaca's rules, before any I/O.

        Raises:
            UnsupportedOrder: a non-default trigger type (Alpaca does not let one choose the
                reference price); IOC/FOK/GTD (see ``mapping.TIF_TO_VENUE``); OPEN/CLOSE position
                effects (not expressible: side buy/sell only); ``quantity=None`` (no
                whole-position orders).
            InvalidOrder: a bad ticker or a crypto pair; a price breaking the sub-penny rule; a
                fractional quantity unless ``fractional_shares`` (and then DAY only);
                ``client_order_id`` longer than 128 characters.
        """
        super().check_order(order)
        self.native_symbol(order.symbol)
        check_price_increment("stop_price", order.stop_price)
        if isinstance(order, StopLimitOrder):
            check_price_increment("limit_price", order.limit_price)
        if order.quantity is not None:
            self._check_quantity(order.quantity, order.time_in_force)
        if len(order.client_order_id) > CLIENT_ORDER_ID_MAX_LEN:
            raise InvalidOrder(
                f"{VENUE_NAME}: client_order_id is at most {CLIENT_ORDER_ID_MAX_LEN} characters",
                field="client_order_id",
                venue=VENUE_NAME,
            )

    # -- placement ------------------------------------------------------------------

    def build_place_request(self, order: AnyStopOrder, ctx: RequestContext) -> HttpRequest:
        """``POST {base_url}/v2/orders`` with the key headers and the JSON body (see ``translate``).

        ``ctx`` is unused: Alpaca requests carry no timestamp, nonce or token.

        Raises:
            InvalidOrder, UnsupportedOrder: as :meth:`check_order`.
        """
        self.check_order(order)
        return translate.build_place_request(
            order,
            base_url=self.config.url,
            symbol=self.native_symbol(order.symbol),
            key_id=self._key_id,
            secret_key=self._secret_key,
        )

    def parse_place_response(self, order: AnyStopOrder, response: HttpResponse) -> OrderState:
        """See :func:`stopkit_alpaca.parse.parse_place_response`."""
        return parse.parse_place_response(order, response)

    def classify_error(self, response: HttpResponse, *, writes: bool = False) -> RemoteError:
        """See :func:`stopkit_alpaca.parse.classify_error`."""
        return parse.classify_error(response, writes=writes)

    def parse_order(self, row: Mapping[str, Any]) -> OrderState:
        """See :func:`stopkit_alpaca.parse.parse_order` (used by the simulator's ``book_state``)."""
        return parse.parse_order(row)

    # -- requests (the context is unused: no timestamps or tokens) -------------------

    def _get_by_id(self, order_id: str, _ctx: RequestContext) -> HttpRequest:
        # GET /v2/orders/{order_id}
        return translate.build_get_request(
            order_id, base_url=self.config.url, key_id=self._key_id, secret_key=self._secret_key
        )

    def _get_by_client_id(self, client_order_id: str, _ctx: RequestContext) -> HttpRequest:
        # GET /v2/orders:by_client_order_id?client_order_id=...
        return translate.build_get_by_client_id_request(
            client_order_id, base_url=self.config.url, key_id=self._key_id, secret_key=self._secret_key
        )

    def _place_request(self, order: AnyStopOrder, ctx: RequestContext) -> HttpRequest:
        # The placement request again (identical bytes), for the resend after an unknown outcome.
        return self.build_place_request(order, ctx)

    # -- reads ----------------------------------------------------------------------

    def _fetch(self, ref: OrderRef) -> Flow[OrderState]:
        # One read: by venue order id when given, else by client order id.
        if ref.venue_order_id:
            state: OrderState = yield Exchange(
                build=functools.partial(self._get_by_id, ref.venue_order_id),
                parse=parse.parse_order_response,
                label="get order",
            )
            return state
        assert ref.client_order_id is not None  # noqa: S101  # OrderRef guarantees one id
        state = yield Exchange(
            build=functools.partial(self._get_by_client_id, ref.client_order_id),
            parse=parse.parse_order_response,
            label="get order by client id",
        )
        return state

    def _follow_replacements(self, state: OrderState) -> Flow[OrderState]:
        # A replaced order lives on under `replaced_by`: read that one (bounded).
        seen = {state.venue_order_id}
        for _ in range(MAX_REPLACE_HOPS):
            successor = state.raw.get("replaced_by")
            if state.venue_status != "replaced" or not isinstance(successor, str) or not successor:
                return state
            if successor in seen:
                raise ResponseShapeError(f"{VENUE_NAME}: replaced_by loops back to {successor}", venue=VENUE_NAME)
            seen.add(successor)
            state = yield Exchange(
                build=functools.partial(self._get_by_id, successor),
                parse=parse.parse_order_response,
                label="get replacing order",
            )
        raise ResponseShapeError(f"{VENUE_NAME}: more than {MAX_REPLACE_HOPS} replacements", venue=VENUE_NAME)

    def get_flow(self, ref: OrderRef) -> Flow[OrderState]:
        """``GET /v2/orders/{id}`` (when ``venue_order_id`` is given) or
        ``GET /v2/orders:by_client_order_id?client_order_id=...``; then, while the order reads
        ``replaced``, ``GET /v2/orders/{replaced_by}``: the state of the live order.

        Raises:
            OrderNotFound: Alpaca does not know the order (404).
            UnknownVenueValue: the order is not a stop (e.g. a ``limit`` order).
        """
        state = yield from self._fetch(ref)
        live: OrderState = yield from self._follow_replacements(state)
        return live

    def open_orders_flow(self, symbol: str | None = None) -> Flow[list[OrderState]]:
        """``GET /v2/orders?status=open&limit=500&direction=desc[&symbols=S]``, paging back with
        ``until`` while pages are full; ``stop``/``stop_limit`` orders only (others are skipped).
        """
        native = self.native_symbol(symbol) if symbol else None
        states: list[OrderState] = []
        seen: set[str] = set()
        until: str | None = None
        for _ in range(_MAX_LIST_PAGES):
            rows: list[Mapping[str, Any]] = yield Exchange(
                build=functools.partial(self._list_request, native, until),
                parse=parse.parse_order_list,
                label="list open orders",
            )
            for row in rows:
                row_id = str(row.get("id"))
                if row_id in seen or row.get("type", row.get("order_type")) not in TYPE_TO_KIND:
                    continue
                seen.add(row_id)
                state = parse.parse_order(row)
                if not state.status.is_terminal:
                    states.append(state)
            if len(rows) < LIST_LIMIT:
                return states
            # A full page: ask for what was submitted before the oldest row. `until` may be
            # inclusive [unverified], hence the de-duplication by id above.
            oldest = rows[-1].get("submitted_at") or rows[-1].get("created_at")
            if not isinstance(oldest, str) or oldest == until:
                raise ResponseShapeError(f"{VENUE_NAME}: cannot page the open orders further", venue=VENUE_NAME)
            until = oldest
        raise ResponseShapeError(f"{VENUE_NAME}: more than {_MAX_LIST_PAGES} pages of open orders", venue=VENUE_NAME)

    def _list_request(self, symbol: str | None, until: str | None, _ctx: RequestContext) -> HttpRequest:
        # One page of open orders.
        return translate.build_list_open_request(
            base_url=self.config.url, key_id=self._key_id, secret_key=self._secret_key, symbol=symbol, until=until
        )

    # -- cancel ---------------------------------------------------------------------

    def _cancel_request(self, order_id: str, _ctx: RequestContext) -> HttpRequest:
        # DELETE /v2/orders/{order_id}
        return translate.build_cancel_request(
            order_id, base_url=self.config.url, key_id=self._key_id, secret_key=self._secret_key
        )

    def cancel_flow(self, ref: OrderRef) -> Flow[OrderState]:
        """Resolve the live order (:meth:`get_flow`), ``DELETE /v2/orders/{id}`` (204), then
        ``GET /v2/orders/{id}``: the state after the cancel (``pending_cancel`` or ``canceled``).

        Raises:
            OrderNotFound: unknown order (nothing is deleted).
            OrderRejected: the order can no longer be canceled (e.g. filled; HTTP 422).
        """
        found = yield from self.get_flow(ref)
        order_id = found.venue_order_id
        if not order_id:  # pragma: no cover - parse_order always sets the id
            raise ResponseShapeError(f"{VENUE_NAME}: the order has no id", venue=VENUE_NAME)
        yield Exchange(
            build=functools.partial(self._cancel_request, order_id),
            parse=parse.parse_cancel_response,
            writes=True,
            label="cancel",
        )
        state: OrderState = yield Exchange(
            build=functools.partial(self._get_by_id, order_id),
            parse=parse.parse_order_response,
            label="read back after cancel",
        )
        return state

    # -- modify (replace) -------------------------------------------------------------

    def _check_amendment(self, state: OrderState, amendment: Amendment) -> dict[str, Decimal]:
        # Alpaca's value rules for an amendment, before any I/O; the changed wire fields.
        if not state.venue_order_id:
            raise InvalidOrder(
                f"{VENUE_NAME}: modify needs the order's venue_order_id", field="venue_order_id", venue=VENUE_NAME
            )
        if amendment.limit_price is not None and state.kind is not OrderKind.STOP_LIMIT:
            raise InvalidOrder(
                f"{VENUE_NAME}: a stop order has no limit price to modify", field="limit_price", venue=VENUE_NAME
            )
        changes: dict[str, Decimal] = {}
        if amendment.quantity is not None:
            tif = state.raw.get("time_in_force")
            self._check_quantity(amendment.quantity, TimeInForce.DAY if tif == "day" else None)
            changes["qty"] = amendment.quantity
        if amendment.stop_price is not None:
            check_price_increment("stop_price", amendment.stop_price)
            changes["stop_price"] = amendment.stop_price
        if amendment.limit_price is not None:
            check_price_increment("limit_price", amendment.limit_price)
            changes["limit_price"] = amendment.limit_price
        return changes

    def _replace_request(self, order_id: str, changes: Mapping[str, Decimal], _ctx: RequestContext) -> HttpRequest:
        # PATCH /v2/orders/{order_id}
        return translate.build_replace_request(
            order_id, changes, base_url=self.config.url, key_id=self._key_id, secret_key=self._secret_key
        )

    def modify_flow(self, state: OrderState, amendment: Amendment) -> Flow[OrderState]:
        """``PATCH /v2/orders/{id}`` with the changed ``qty`` / ``stop_price`` / ``limit_price``
        (https://docs.alpaca.markets/reference/patchorderbyorderid).

        Alpaca replaces the order: the answer is a **new** order (new ``id``, a new
        ``client_order_id`` chosen by Alpaca, ``replaces`` = the old id), returned here; the old
        order then reads ``replaced`` and :meth:`get_flow` on the old id follows ``replaced_by``.
        A write: never resent after an unknown outcome.

        Raises:
            InvalidOrder: no venue order id, a limit price on a stop, the sub-penny rule, a
                fractional quantity (unless allowed); before any I/O.
            OrderRejected: Alpaca refused the replace (e.g. the order is filled; 422).
            OrderNotFound: unknown order.
        """
        changes = self._check_amendment(state, amendment)
        order_id = str(state.venue_order_id)
        new_state: OrderState = yield Exchange(
            build=functools.partial(self._replace_request, order_id, changes),
            parse=self._parse_replace_response,
            writes=True,
            label="replace",
        )
        return new_state

    @staticmethod
    def _parse_replace_response(response: HttpResponse) -> OrderState:
        # The PATCH answer: the new order (a write: 5xx → outcome unknown).
        if response.status != 200:
            raise parse.classify_error(response, writes=True)
        try:
            return parse.parse_order(response.json(venue=VENUE_NAME))
        except ResponseShapeError as exc:
            exc.outcome_known = False
            raise

    # -- no duplicates: reconciliation after an unknown placement outcome -------------

    def reconcile_flow(self, order: AnyStopOrder, *, sent_at_ms: int) -> Flow[OrderState | None] | None:
        """After an unknown placement outcome: find ``order`` by its ``client_order_id``, and if
        Alpaca does not have it, resend it once with the same ``client_order_id``.

        1. ``GET /v2/orders:by_client_order_id`` → found: its state (after checking it is this
           order: symbol, side, type, quantity and prices must match).
        2. 404 and ``resend_after_unknown`` (default): the identical ``POST /v2/orders``. Alpaca
           refuses a second order with the same ``client_order_id``, so this cannot create a
           duplicate: it either places the order, or is refused as a duplicate because the first
           send landed after all, and then step 1 is repeated.
        3. 404 and not ``resend_after_unknown``: ``None`` (the client reports the unknown outcome).

        ``sent_at_ms`` is not needed: the client order id identifies the order.

        Raises (inside the flow; the client then re-raises the original error with a note):
            DuplicateClientOrderId: an order with this ``client_order_id`` exists but is a
                different order (the id was reused).
            any error of the lookup or of the resend.
        """
        return self._reconcile(order)

    def _matches(self, order: AnyStopOrder, state: OrderState) -> bool:
        # True when the venue's order is the one we placed (same terms).
        limit = order.limit_price if isinstance(order, StopLimitOrder) else None
        return (
            state.symbol == self.native_symbol(order.symbol)
            and state.raw.get("side") == SIDE_TO_VENUE[order.side]
            and state.raw.get("type", state.raw.get("order_type")) == KIND_TO_TYPE[order.kind]
            and state.quantity == order.quantity
            and state.stop_price == order.stop_price
            and state.limit_price == limit
        )

    def _lookup(self, order: AnyStopOrder) -> Flow[OrderState | None]:
        # GET by client order id: the state, None on 404, DuplicateClientOrderId for another order.
        try:
            state: OrderState = yield Exchange(
                build=functools.partial(self._get_by_client_id, order.client_order_id),
                parse=parse.parse_order_response,
                label="reconcile: get by client id",
            )
        except OrderNotFound:
            return None
        if not self._matches(order, state):
            raise DuplicateClientOrderId(
                f"{VENUE_NAME}: client_order_id {order.client_order_id} belongs to a different order"
                f" ({state.venue_order_id})",
                venue=VENUE_NAME,
            )
        return state

    def _reconcile(self, order: AnyStopOrder) -> Flow[OrderState | None]:
        # See reconcile_flow.
        found = yield from self._lookup(order)
        if found is not None or not self.config.resend_after_unknown:
            return found
        try:
            placed: OrderState = yield Exchange(
                build=functools.partial(self._place_request, order),
                parse=functools.partial(self.parse_place_response, order),
                writes=True,
                label="place (resent with the same client_order_id while reconciling)",
            )
        except DuplicateClientOrderId:
            # The first send landed after all: the order exists exactly once.
            again: OrderState | None = yield from self._lookup(order)
            return again
        return placed


def _clean(credentials: Credentials, name: str) -> str:
    # A required credential, refused (without echoing it) when missing or not header-safe.
    value = credentials.require(name, hint="see https://docs.alpaca.markets/docs/authentication")
    if not _CREDENTIAL_RE.fullmatch(value):
        raise ConfigurationError(f"{VENUE_NAME}: {name} contains spaces or non-printable characters", venue=VENUE_NAME)
    return value


# Alpaca's documented refusals of writes: the answers that prove it did not act. Every error answer is
# {"code": <int>, "message": "..."}; a bare status (a proxy's page) proves nothing and is reconciled.
_ORDERS_DOC = "https://docs.alpaca.markets/reference/postorder"
REFUSALS = (
    Refusal(operations={"place", "replace", "cancel"}, status={401, 403}, error=AuthenticationError,
            any_error_body=True, source=_ORDERS_DOC),
    Refusal(operations={"place", "replace", "cancel"}, status={403, 422}, error=OrderRejected, any_error_body=True,
            source=f"{_ORDERS_DOC} (403 buying power, 422 unprocessable)"),
    Refusal(operations={"place"}, status=422, error=DuplicateClientOrderId, any_error_body=True,
            source=f"{_ORDERS_DOC} (client_order_id must be unique)"),
    Refusal(operations={"replace", "cancel"}, status=404, error=OrderNotFound, any_error_body=True,
            source="https://docs.alpaca.markets/reference/deleteorderbyorderid"),
    Refusal(operations={"place", "replace", "cancel"}, status=429, error=RateLimited, any_body=True,
            source="https://docs.alpaca.markets/docs/orders-at-alpaca (rate limit: 429)"),
)  # fmt: skip


class AlpacaAdapter(VenueAdapter):
    """Alpaca Trading API (US equities), API-key headers. Registered as ``alpaca``."""

    name = VENUE_NAME
    refusals = REFUSALS
    title = "Alpaca Trading API (US equities)"
    doc_url = DOC_URL
    capabilities = Capabilities(
        order_kinds=frozenset({OrderKind.STOP_MARKET, OrderKind.STOP_LIMIT}),
        trigger_types=frozenset({TriggerType.DEFAULT}),
        time_in_force=frozenset({TimeInForce.DAY, TimeInForce.GTC}),
        position_effects=frozenset({None}),
        whole_position_quantity=False,
        client_order_id=True,
        get_order=True,
        list_open_orders=True,
        cancel=True,
        modify=True,
        # Alpaca has no triggered status, flag or timestamp: ACCEPTED = armed or triggered.
        reports_trigger=False,
        reasons={
            "trigger_type": "Alpaca does not let an order choose its reference price; only the venue default",
            "time_in_force=IOC": "IOC on a stop is not described for US equities [unverified]; only DAY and GTC"
            " are sent",
            "time_in_force=FOK": "FOK on a stop is not described for US equities [unverified]; only DAY and GTC"
            " are sent",
            "time_in_force=GTD": "Alpaca has no good-till-date time in force (day, gtc, opg, cls, ioc, fok)",
            "position_effect": "Alpaca orders have side buy/sell only: a sell without a long position is a short"
            " sale, so OPEN/CLOSE cannot be guaranteed; pass position_effect=None (venue default)",
            "quantity=None": "Alpaca orders need a share quantity; there is no close-whole-position stop",
        },
    )
    env_vars = (
        EnvVar(ENV_KEY_ID, "API key id (APCA-API-KEY-ID header)", required=True),
        EnvVar(ENV_SECRET_KEY, "API secret key (APCA-API-SECRET-KEY header)", required=True, secret=True),
    )
    rate_limit = RateLimit(capacity=RATE_LIMIT_PER_MIN, window_s=60.0, max_concurrent=8, source=DOC_ERRORS)

    def simulator(self) -> Simulator:
        """A fresh :class:`~stopkit_alpaca.simulator.AlpacaSimulator` (imports aiohttp)."""
        from stopkit_alpaca.simulator import AlpacaSimulator

        return AlpacaSimulator()

    def bind(self, credentials: Credentials, config: Mapping[str, Any] | None = None) -> AlpacaBoundVenue:
        """Check the keys and parse the config once.

        Raises:
            ConfigurationError: ``APCA_API_KEY_ID`` or ``APCA_API_SECRET_KEY`` missing or not
                printable ASCII without spaces (values never echoed); a bad config key or value.
        """
        parsed = structure_config(AlpacaConfig, config, venue=self.name)
        return AlpacaBoundVenue(
            self,
            config=parsed,
            key_id=_clean(credentials, ENV_KEY_ID),
            secret_key=_clean(credentials, ENV_SECRET_KEY),
        )
