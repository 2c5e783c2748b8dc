"""stopkit.testing.drive_flow: an adapter's flow run without I/O, as the client runs it."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any
from urllib.parse import urlsplit

import pytest

from stopkit.context import RequestContext
from stopkit.errors import OrderNotFound
from stopkit.testing import drive_flow
from stopkit.venue import Exchange
from stopkit.wire import HttpRequest, HttpResponse

CTX = RequestContext(now_ms=1_700_000_000_000)


def _exchange(path: str) -> Exchange[str]:
    def build(ctx: RequestContext) -> HttpRequest:
        return HttpRequest(method="GET", url=f"https://venue.example{path}?t={ctx.now_ms}")

    def parse(response: HttpResponse) -> str:
        if response.status == 404:
            raise OrderNotFound("not here", venue="example")
        return response.body.decode()

    return Exchange(build=build, parse=parse, label=f"read {path}")


def _flow() -> Generator[Exchange[Any], Any, tuple[str, str]]:
    first = yield _exchange("/open")
    try:
        second = yield _exchange("/history")
    except OrderNotFound:
        second = "gone"
    return first, second


def test_each_exchange_is_built_with_the_context_and_answered_in_order() -> None:
    """Requests are built with ctx, answered by the function, and their parsed values sent into the flow."""
    answers = {"/open": HttpResponse(status=200, body=b"a"), "/history": HttpResponse(status=200, body=b"b")}
    result, exchanges = drive_flow(_flow(), lambda r: answers[urlsplit(r.url).path], ctx=CTX)
    assert result == ("a", "b")
    assert [request.url for _, request in exchanges] == [
        "https://venue.example/open?t=1700000000000",
        "https://venue.example/history?t=1700000000000",
    ]
    assert [exchange.label for exchange, _ in exchanges] == ["read /open", "read /history"]


def test_a_parser_refusal_is_thrown_into_the_flow_and_an_unhandled_one_propagates() -> None:
    """A StopkitError from a parser goes into the flow (which may handle it); one the flow does not handle
    leaves drive_flow."""
    answers = iter([HttpResponse(status=200, body=b"a"), HttpResponse(status=404, body=b"")])
    result, _ = drive_flow(_flow(), lambda _r: next(answers), ctx=CTX)
    assert result == ("a", "gone")
    with pytest.raises(OrderNotFound, match="not here"):
        drive_flow(_flow(), lambda _r: HttpResponse(status=404, body=b""), ctx=CTX)
