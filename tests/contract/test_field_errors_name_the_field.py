"""Every field of every documented answer, corrupted or removed one at a time: the parser either still reads
the answer or raises a stopkit error that names that very field (issue 19: mutation kills).

The answers are the outside payloads of the contract corpora (``tests/contract/<venue>/``, each file naming its
source), not anything stopkit produced. A parser whose error forgot the field (``field=None``), or that read the
wrong key, or that let a raw ``KeyError``/``TypeError`` escape, fails here.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stopkit.errors import StopkitError
from stopkit.state import OrderState
from stopkit.wire import HttpResponse
from stopkit_venues.aries import parse as aries
from stopkit_venues.b2trader import parse as b2trader
from stopkit_venues.pacifica import parse as pacifica

HERE = Path(__file__).resolve().parent
NOT_A_SCALAR = {"unexpected": ["object"]}


def _pacifica(name: str) -> Any:
    return json.loads((HERE / "pacifica" / name).read_text(encoding="utf-8"))["cases"][0]["payload"]


def _b2trader(key: str) -> Any:
    entry = json.loads((HERE / "b2trader" / "corpus.json").read_text(encoding="utf-8"))[key]
    return json.loads(entry.get("body_text") or entry["text"])


def _aries(name: str) -> Any:
    return json.loads((HERE / "aries" / name).read_text(encoding="utf-8"))


def _ok(body: Any) -> HttpResponse:
    return HttpResponse(status=200, headers={"Content-Type": "application/json"}, body=json.dumps(body).encode())


def _aries_trade_row() -> dict[str, Any]:
    # The documented TradeOrderV2 example (a LIMIT order), made the stop-limit it would be as a stop.
    doc = _aries("rest_trade_order_v2_docs.json")
    row = dict(next(iter(_find_rows(doc))))
    row.update({"type": "STOP_LIMIT", "stopPrice": "176.00"})
    return row


def _find_rows(doc: Any) -> Iterator[dict[str, Any]]:
    # Every JSON object carrying clOrdId and ordStatus in a corpus document.
    if isinstance(doc, dict):
        if "clOrdId" in doc and "ordStatus" in doc:
            yield doc
        for value in doc.values():
            yield from _find_rows(value)
    elif isinstance(doc, list):
        for item in doc:
            yield from _find_rows(item)


# (name, documented row, how to read a row) — the row is the object whose fields are corrupted.
Reader = Callable[[dict[str, Any]], object]
CASES: list[tuple[str, Callable[[], dict[str, Any]], Reader]] = [
    ("pacifica open order", lambda: _pacifica("rest_open_orders_docs.json")[0], pacifica.parse_open_order_row),
    ("pacifica history row", lambda: _pacifica("rest_order_history_docs.json")["data"][0], pacifica.parse_history_row),
    (
        "pacifica history event",
        lambda: _pacifica("rest_order_history_by_id_docs.json")["data"][0],
        lambda row: pacifica.parse_history_by_id(_ok({"success": True, "data": [row], "error": None, "code": None})),
    ),
    ("b2trader stop", lambda: _b2trader("place_stop_response")["order"], b2trader.parse_stop_order),
    ("b2trader child order", lambda: _b2trader("ws_open_orders_item")["item"][0], b2trader.parse_child_order),
    ("aries trade order", _aries_trade_row, aries.parse_trade_order),
]


def _fields(name: str) -> list[tuple[str, str]]:
    row = next(make for n, make, _ in CASES if n == name)()
    return [(name, field) for field in row]


ALL_FIELDS = [pytest.param(n, f, id=f"{n}:{f}") for n, _, _ in CASES for n, f in _fields(n)]


def _reader(name: str) -> tuple[dict[str, Any], Reader]:
    make, read = next((make, read) for n, make, read in CASES if n == name)
    return make(), read


def _names_the_field(exc: StopkitError, field: str) -> bool:
    return field in str(exc) or getattr(exc, "field", None) in (field, f"order.{field}")


def test_every_documented_row_reads() -> None:
    """The documented rows themselves read into states (the starting point of the corruptions)."""
    for name, make, read in CASES:
        result = read(make())
        assert result is None or isinstance(result, OrderState), name


@pytest.mark.parametrize(("name", "field"), ALL_FIELDS)
def test_a_field_holding_an_object_is_read_past_or_named(name: str, field: str) -> None:
    """A JSON object where the field's value should be: read past, or a stopkit error naming the field."""
    row, read = _reader(name)
    if isinstance(row[field], dict | list):
        pytest.skip("the field is already structured")
    corrupted = copy.deepcopy(row)
    corrupted[field] = NOT_A_SCALAR
    error: StopkitError | None = None
    try:
        read(corrupted)
    except StopkitError as exc:
        error = exc
    assert error is None or _names_the_field(error, field), f"{name}: {field}: {error!s}"


@pytest.mark.parametrize(("name", "field"), ALL_FIELDS)
def test_a_missing_field_is_read_past_or_named(name: str, field: str) -> None:
    """The field removed: read past (it is optional), or a stopkit error naming the field."""
    row, read = _reader(name)
    corrupted = {k: v for k, v in row.items() if k != field}
    error: StopkitError | None = None
    try:
        read(corrupted)
    except StopkitError as exc:
        error = exc
    assert error is None or _names_the_field(error, field), f"{name}: {field}: {error!s}"


@pytest.mark.parametrize("value", [NOT_A_SCALAR, ["stop_limit"], 7, None])
def test_row_type_checks_take_any_json_value(value: object) -> None:
    """Bug found by this file: a JSON object as Pacifica's order_type or Aries' type raised a raw TypeError
    (unhashable) in is_stop_row / is_equity_stop_row; any value that is not a documented string is not a stop."""
    assert pacifica.is_stop_row({"order_type": value}) is False
    assert aries.is_equity_stop_row({**_aries_trade_row(), "type": value}) is False
    assert pacifica.is_stop_row({"order_type": "stop_limit"}) is True
    assert aries.is_equity_stop_row(_aries_trade_row()) is True
