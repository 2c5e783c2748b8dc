"""HTTP values and wire formatting, with no I/O.

:class:`HttpRequest` is what an adapter builds and the transport sends byte for
byte; :class:`HttpResponse` is what the transport hands back to the adapter's
parser. Bodies are ``bytes`` serialized by stopkit (never by aiohttp), so what
is signed is exactly what is sent and what a cassette stores.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from stopkit.errors import ResponseShapeError

__all__ = [
    "SENSITIVE_HEADERS",
    "HttpRequest",
    "HttpResponse",
    "canonical_json",
    "compact_json",
    "format_decimal",
    "is_sensitive_header",
    "masked_headers",
]

SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "pf-api-key", "x-api-key"})
"""Header names (lower case) whose values are masked in reprs, previews and cassettes."""


# Header names containing one of these are treated as secret too (e.g. a plugin's
# ``APCA-API-SECRET-KEY`` or ``X-Api-Token``): masking a harmless header costs less
# than printing a credential.
_SECRET_WORDS = ("secret", "token", "password", "passphrase", "api-key", "apikey", "api_key", "key-id", "signature")


def is_sensitive_header(name: str, extra: frozenset[str] = frozenset()) -> bool:
    """True when header ``name`` may carry a secret: listed in :data:`SENSITIVE_HEADERS` or
    ``extra`` (lower case), or containing a word such as ``secret``, ``token`` or ``api-key``."""
    lower = name.lower()
    return lower in SENSITIVE_HEADERS or lower in extra or any(word in lower for word in _SECRET_WORDS)


def _mask_value(name: str, value: str, extra: frozenset[str] = frozenset()) -> str:
    if not is_sensitive_header(name, extra):
        return value
    scheme, _, rest = value.partition(" ")
    if rest and scheme.lower() in ("bearer", "basic"):
        return f"{scheme} ***"
    return "***"


def masked_headers(headers: Mapping[str, str], extra: frozenset[str] = frozenset()) -> dict[str, str]:
    """Return a copy of ``headers`` with sensitive values replaced by ``***`` (see :func:`is_sensitive_header`).

    ``Authorization: Bearer abc`` becomes ``Authorization: Bearer ***``.
    """
    return {name: _mask_value(name, value, extra) for name, value in headers.items()}


def _freeze_headers(headers: Mapping[str, str]) -> Mapping[str, str]:
    return dict(headers)


_NO_NAMES: frozenset[str] = frozenset()


def _lower_set(names: frozenset[str] | set[str] | tuple[str, ...]) -> frozenset[str]:
    if not names:
        return _NO_NAMES
    return frozenset(name.lower() for name in names)


@attrs.frozen(kw_only=True, repr=False)
class HttpRequest:
    """One HTTP request, fully built and (where the venue wants it) signed.

    Fields:
        method: ``"GET"``, ``"POST"``, ``"DELETE"``, ...
        url: absolute URL including any query string.
        headers: header name → value; sent as given.
        body: the exact body bytes, or ``None`` for no body.
        sensitive_body: the body holds a secret (e.g. a token request's client
            secret); it is then masked in the repr and in previews.
        sensitive_headers: more header names to mask (beyond :func:`is_sensitive_header`'s rules).

    The repr masks sensitive header values (see :data:`SENSITIVE_HEADERS`).
    """

    method: str
    url: str
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_freeze_headers)
    body: bytes | None = None
    sensitive_body: bool = False
    sensitive_headers: frozenset[str] = attrs.field(default=frozenset(), converter=_lower_set)

    def json(self) -> Any:
        """The body parsed as JSON (``None`` when there is no body)."""
        return None if self.body is None else json.loads(self.body)

    def __repr__(self) -> str:
        body = f"<{len(self.body)} bytes masked>" if self.sensitive_body and self.body is not None else repr(self.body)
        return f"HttpRequest(method={self.method!r}, url={self.url!r}, headers={self.masked_headers()!r}, body={body})"

    def masked_headers(self) -> dict[str, str]:
        """The headers with every sensitive value replaced by ``***``."""
        return masked_headers(self.headers, self.sensitive_headers)


_c_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)  # the C accelerator (not in typeshed)
_ascii_string = json.encoder.encode_basestring_ascii

# One decoder for every answer: json.loads(..., parse_float=Decimal) builds a new one per call.
_DECIMAL_JSON = json.JSONDecoder(parse_float=Decimal)


def _lower_headers(headers: Mapping[str, str]) -> Mapping[str, str]:
    return {name.lower(): value for name, value in headers.items()}


@attrs.frozen(kw_only=True)
class HttpResponse:
    """One HTTP response as received.

    Fields:
        status: HTTP status code.
        headers: header name (lower-cased) → value.
        body: the raw body bytes (possibly empty).
    """

    status: int
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_lower_headers)
    body: bytes = b""

    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")

    def json(self, *, venue: str | None = None) -> Any:
        """The body parsed as JSON, with exact ``Decimal`` for non-integer numbers.

        Raises:
            ResponseShapeError: the body is empty, not JSON, or nested too deeply to decode
                (carries the raw body).
        """
        body = self.body
        try:
            if type(body) is bytes:  # json.loads(body, parse_float=Decimal) without a decoder per call
                return _DECIMAL_JSON.decode(body.decode(json.detect_encoding(body), "surrogatepass"))
            return json.loads(body, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError):
            message = "venue answered with a body that is not JSON"
        except RecursionError:
            message = "venue answered with JSON nested too deeply to decode"
        raise ResponseShapeError(message, venue=venue, http_status=self.status, raw_body=self.body)


def format_decimal(value: Decimal) -> str:
    """Canonical decimal text: fixed-point, no exponent, no trailing zeros.

    ``Decimal("0.010")`` → ``"0.01"``, ``Decimal("91000.0")`` → ``"91000"``,
    ``Decimal("1E+3")`` → ``"1000"``, ``Decimal("-0")`` → ``"0"``.
    """
    if value.is_zero():
        return "0"
    text = str(value)  # fixed-point already unless it needs an exponent (then format it)
    if "E" in text:
        text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


# A Decimal inside a JSON document is written as an exact JSON number: it is
# swapped for a placeholder string that json cannot otherwise produce (it holds
# NUL characters, which json escapes as \u0000), and the placeholder's quoted
# text is then replaced by the canonical decimal text. No float is ever involved.
_PLACEHOLDER = "\x00stopkit-decimal-{}\x00"
_RESERVED = "\x00stopkit-decimal-"


def _swap_decimals(value: Any, numbers: list[str]) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot write {value} as a JSON number")
        numbers.append(format_decimal(value))
        return _PLACEHOLDER.format(len(numbers) - 1)
    if isinstance(value, dict):
        return {_check_text(key): _swap_decimals(item, numbers) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_swap_decimals(item, numbers) for item in value]
    return _check_text(value)


def _check_text(value: Any) -> Any:
    # A string (value or object key) must not hold the placeholder text: it would be taken for a number.
    if isinstance(value, str) and _RESERVED in value:
        raise ValueError("a JSON string holds stopkit's reserved decimal placeholder text")
    return value


def _not_serializable(value: object) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _encode(obj: Any, sort_keys: bool) -> str:
    # json.dumps(obj, separators=(",", ":"), sort_keys=sort_keys, ensure_ascii=True): the same C
    # encoder json.dumps uses (circular references checked, NaN allowed), without json.dumps's
    # Python layers (a JSONEncoder object and its iterencode per call).
    if _c_make_encoder is None:  # pragma: no cover - CPython always has the C encoder
        return json.dumps(obj, separators=(",", ":"), sort_keys=sort_keys, ensure_ascii=True)
    encoder = _c_make_encoder({}, _not_serializable, _ascii_string, None, ":", ",", sort_keys, False, True)
    return "".join(encoder(obj, 0))


def _dumps(obj: Any, *, sort_keys: bool) -> bytes:
    try:  # fast path: no Decimal anywhere (json refuses Decimal with TypeError)
        return _encode(obj, sort_keys).encode("ascii")
    except TypeError:
        pass
    numbers: list[str] = []
    text = json.dumps(_swap_decimals(obj, numbers), separators=(",", ":"), sort_keys=sort_keys, ensure_ascii=True)
    for index, number in enumerate(numbers):
        text = text.replace(json.dumps(_PLACEHOLDER.format(index)), number, 1)
    return text.encode("ascii")


def compact_json(obj: Any) -> bytes:
    """Compact JSON (``,`` and ``:`` separators, insertion order, ASCII only) as bytes.

    A ``Decimal`` value is written as an exact JSON number in canonical form
    (``Decimal("0.010")`` → ``0.01``); write prices as strings by formatting
    them with :func:`format_decimal` first.
    """
    return _dumps(obj, sort_keys=False)


def canonical_json(obj: Any) -> bytes:
    """Compact JSON with object keys sorted at every depth (lists keep order), ASCII only.

    ``Decimal`` values are written as exact JSON numbers, as in :func:`compact_json`.
    """
    return _dumps(obj, sort_keys=True)
