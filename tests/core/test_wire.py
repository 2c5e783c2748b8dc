"""Wire values: canonical decimals, canonical JSON, masked headers."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stopkit import HttpRequest, HttpResponse, ResponseShapeError
from stopkit.wire import canonical_json, compact_json, format_decimal, masked_headers


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("0.010", "0.01"),
        ("91000.0", "91000"),
        ("91000", "91000"),
        ("1E+3", "1000"),
        ("1.2300E+2", "123"),
        ("0.00000001", "0.00000001"),
        ("1E-8", "0.00000001"),
        ("-0", "0"),
        ("0.000", "0"),
        ("145.00", "145"),
        ("47950.50", "47950.5"),
    ],
)
def test_format_decimal_table(value: str, text: str) -> None:
    """Canonical text: fixed-point, no exponent, no trailing zeros."""
    assert format_decimal(Decimal(value)) == text


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=Decimal("-1e20"), max_value=Decimal("1e20")))
def test_format_decimal_round_trips(value: Decimal) -> None:
    """The text parses back to the same number and has no exponent or trailing fractional zero."""
    text = format_decimal(value)
    assert Decimal(text) == value
    assert "E" not in text.upper()
    if "." in text:
        assert not text.endswith("0")
        assert not text.endswith(".")


def test_canonical_json_sorts_every_depth_and_keeps_lists() -> None:
    """Keys sort at every depth, lists keep their order, output is compact ASCII."""
    obj = {"b": 1, "a": {"z": [3, {"y": 1, "x": 2}], "c": True}, "é": "ü"}
    assert canonical_json(obj) == b'{"a":{"c":true,"z":[3,{"x":2,"y":1}]},"b":1,"\\u00e9":"\\u00fc"}'
    assert compact_json({"b": 1, "a": 2}) == b'{"b":1,"a":2}'


def test_masked_headers_and_request_repr() -> None:
    """Bearer tokens and API keys never show in masked headers or a request repr."""
    headers = {"Authorization": "Bearer s3cr3t", "PF-API-KEY": "k3y", "Content-Type": "application/json"}
    masked = masked_headers(headers)
    assert masked == {"Authorization": "Bearer ***", "PF-API-KEY": "***", "Content-Type": "application/json"}
    request = HttpRequest(method="POST", url="https://x/y", headers=headers, body=b"{}")
    assert "s3cr3t" not in repr(request)
    assert "k3y" not in repr(request)
    assert request.headers["Authorization"] == "Bearer s3cr3t"  # the real value is still sent
    token_request = HttpRequest(method="POST", url="https://x/token", body=b"client_secret=abc", sensitive_body=True)
    assert "abc" not in repr(token_request)
    assert "17 bytes masked" in repr(token_request)


def test_response_json_uses_decimal_and_reports_bad_bodies() -> None:
    """Numbers parse to exact Decimals; a non-JSON body is a ResponseShapeError carrying it."""
    response = HttpResponse(status=200, headers={"Content-Type": "application/json"}, body=b'{"p": 0.1}')
    assert response.json() == {"p": Decimal("0.1")}
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(ResponseShapeError) as info:
        HttpResponse(status=502, body=b"<html>Bad gateway</html>").json(venue="v")
    assert info.value.http_status == 502
    assert info.value.raw_body == "<html>Bad gateway</html>"
    with pytest.raises(ResponseShapeError):
        HttpResponse(status=200, body=b"").json()
    assert json.loads(compact_json({"x": "1"})) == {"x": "1"}


def test_decimals_become_exact_json_numbers() -> None:
    """A Decimal is written as an exact JSON number, never through float."""
    body = compact_json(
        {"order": {"activationPrice": Decimal("128000.0"), "amount": Decimal("0.010")}, "n": [Decimal("1E+2")]}
    )
    assert body == b'{"order":{"activationPrice":128000,"amount":0.01},"n":[100]}'
    tiny = Decimal("0.1000000000000000055511151231257827")  # not representable as a float
    assert compact_json({"p": tiny}) == b'{"p":0.1000000000000000055511151231257827}'
    assert canonical_json({"b": Decimal(1), "a": "x"}) == b'{"a":"x","b":1}'
    with pytest.raises(ValueError, match="reserved"):
        compact_json({"s": "\x00stopkit-decimal-0\x00", "p": Decimal(1)})
    with pytest.raises(ValueError, match="reserved"):  # an object key too (it was written as the number: bad JSON)
        compact_json({"\x00stopkit-decimal-0\x00": Decimal(1)})
    with pytest.raises(ValueError, match="JSON number"):
        compact_json({"p": Decimal("NaN")})


def test_decimal_bodies_stay_ascii() -> None:
    """With a Decimal in the document, non-ASCII text is still written as ASCII escapes (the body is ASCII)."""
    assert compact_json({"name": "caf\u00e9 \u2603", "p": Decimal("1.50")}) == b'{"name":"caf\\u00e9 \\u2603","p":1.5}'
    assert canonical_json({"p": Decimal(2), "name": "\u00e9"}) == b'{"name":"\\u00e9","p":2}'


def test_without_a_decimal_any_string_is_written_as_json_dumps_writes_it() -> None:
    """No Decimal in the document: even text that looks like stopkit's decimal placeholder is plain text, written
    byte for byte as json.dumps writes it (the placeholder is refused only where it could be confused)."""
    value = {"note": "\x00stopkit-decimal-0\x00", "n": 1}
    expected = json.dumps(value, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    assert compact_json(value) == expected
    assert canonical_json(value) == json.dumps(value, separators=(",", ":"), sort_keys=True).encode("ascii")


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_decimal_json_round_trip(value: Decimal) -> None:
    """Any finite Decimal survives compact_json → json.loads(parse_float=Decimal) exactly."""
    parsed = json.loads(compact_json({"v": value}), parse_float=Decimal, parse_int=Decimal)
    assert parsed["v"] == value


def test_plugin_secret_headers_are_masked() -> None:
    """Header names that look secret are masked everywhere, and a request can name more."""
    headers = {
        "APCA-API-KEY-ID": "id-1",
        "APCA-API-SECRET-KEY": "s3cr3t",
        "X-Session-Token": "tok",
        "X-Custom": "custom-secret-value",
        "accountId": "A1",
        "Content-Type": "application/json",
    }
    request = HttpRequest(method="GET", url="https://x/y", headers=headers, sensitive_headers={"X-Custom"})
    masked = request.masked_headers()
    assert masked["APCA-API-SECRET-KEY"] == "***"
    assert masked["APCA-API-KEY-ID"] == "***"
    assert masked["X-Session-Token"] == "***"
    assert masked["X-Custom"] == "***"
    assert masked["accountId"] == "A1"
    assert masked["Content-Type"] == "application/json"
    for secret in ("s3cr3t", "tok", "custom-secret-value", "id-1"):
        assert secret not in repr(request)


def _json_values(*, allow_nan: bool) -> st.SearchStrategy[object]:
    return st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=allow_nan) | st.text(),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
        max_leaves=12,
    )


_JSON_VALUES = _json_values(allow_nan=True)


@given(_JSON_VALUES)
def test_compact_and_canonical_json_write_what_json_dumps_writes(value: object) -> None:
    """Without Decimals, the bodies are byte for byte json.dumps(compact, ASCII), sorted or not."""
    for sort_keys, dump in ((False, compact_json), (True, canonical_json)):
        expected = json.dumps(value, separators=(",", ":"), sort_keys=sort_keys, ensure_ascii=True)
        assert dump(value) == expected.encode("ascii")


def test_json_writers_refuse_what_json_dumps_refuses() -> None:
    """A circular structure is a ValueError and an unknown type a TypeError, as with json.dumps."""
    loop: list[object] = []
    loop.append(loop)
    for dump in (compact_json, canonical_json):
        with pytest.raises(ValueError, match="Circular reference"):
            dump(loop)
        with pytest.raises(TypeError, match="not JSON serializable"):
            dump({"a": object()})


@given(_json_values(allow_nan=False), st.sampled_from(["utf-8", "utf-16", "utf-32"]))
def test_response_json_reads_what_json_loads_reads(value: object, encoding: str) -> None:
    """HttpResponse.json() of any body equals json.loads(body, parse_float=Decimal), in every JSON encoding."""
    body = json.dumps(value, ensure_ascii=False).encode(encoding)
    assert HttpResponse(status=200, body=body).json() == json.loads(body, parse_float=Decimal)


def test_response_json_errors_say_what_is_wrong_with_the_body() -> None:
    """Not JSON and nested too deeply are told apart in the ResponseShapeError, which keeps the status and the body."""
    with pytest.raises(ResponseShapeError) as info:
        HttpResponse(status=502, body=b"<html>Bad gateway</html>").json(venue="v")
    assert (info.value.message, info.value.venue) == ("venue answered with a body that is not JSON", "v")
    with pytest.raises(ResponseShapeError) as info:
        HttpResponse(status=200, body=b"[" * 100_000 + b"]" * 100_000).json()
    assert info.value.message == "venue answered with JSON nested too deeply to decode"
    assert info.value.http_status == 200


def test_response_json_reads_an_encoded_lone_surrogate_as_json_loads_does() -> None:
    """A body carrying a UTF-8-encoded lone surrogate (which some servers write) is read, as json.loads reads it."""
    body = b'{"name": "\xed\xa0\x80"}'
    assert HttpResponse(status=200, body=body).json() == {"name": "\ud800"}
    assert json.loads(body) == {"name": "\ud800"}


def test_response_json_reads_a_bytearray_body_with_exact_decimals() -> None:
    """A transport that hands the body over as a bytearray gets the same answer: exact Decimals, and a
    ResponseShapeError for what is not JSON."""
    body = bytearray(b'{"price": 0.1, "qty": [2.50, 3]}')
    response = HttpResponse(status=200, body=body)  # type: ignore[arg-type]  # typed bytes; a bytearray is read too
    parsed = response.json()
    assert parsed == {"price": Decimal("0.1"), "qty": [Decimal("2.50"), 3]}
    assert type(parsed["price"]) is Decimal
    with pytest.raises(ResponseShapeError):
        HttpResponse(status=200, body=bytearray(b"<html/>")).json()  # type: ignore[arg-type]  # as above


@pytest.mark.parametrize("body", [b"", b"x", b"\xff\xfe\xfd", b'{"a":', b"[" * 100_000, b"\xef\xbb\xbf{}"])
def test_response_json_fails_where_json_loads_fails(body: bytes) -> None:
    """What json.loads refuses is a ResponseShapeError; what it reads (a UTF-8 BOM) is read the same."""
    try:
        expected = json.loads(body, parse_float=Decimal)
    except (ValueError, RecursionError):
        with pytest.raises(ResponseShapeError):
            HttpResponse(status=200, body=body).json()
    else:
        assert HttpResponse(status=200, body=body).json() == expected


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_format_decimal_is_fixed_point_text_without_trailing_zeros(value: Decimal) -> None:
    """Whatever the exponent: the fixed-point text (format 'f') without trailing zeros, '0' for zero."""
    expected = "0" if value.is_zero() else format(value, "f")
    if "." in expected:
        expected = expected.rstrip("0").rstrip(".")
    assert format_decimal(value) == expected
