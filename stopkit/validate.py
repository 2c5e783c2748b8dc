"""Argument checks shared by the model and the client, run before any I/O (pure).

Symbols and ids are ASCII only, checked before any case folding (the dotless ``i``,
U+0131, upper-cases to ``I``: ``"\u0131bm".upper() == "IBM"``). Ids that end up in URL
paths may not hold path separators, query or fragment characters, or be dots only
(``".."``). Decimal text takes the digits ``0-9`` only (Python's ``Decimal`` also reads
Arabic-Indic and full-width digits, and ``"1_0"``, as 10). Every amount is bounded: no
venue takes more than :data:`MAX_SIGNIFICANT_DIGITS` significant digits or a magnitude
beyond ``10**±MAX_EXPONENT``, and an unbounded one (``Decimal("1e999999999")``) would
build a gigabyte of request body.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from stopkit.errors import InvalidArgument, InvalidOrder

__all__ = [
    "MAX_EXPONENT",
    "MAX_ID_LENGTH",
    "MAX_SIGNIFICANT_DIGITS",
    "MAX_SYMBOL_LENGTH",
    "check_decimal",
    "check_id",
    "check_symbol",
    "parse_decimal_text",
]

MAX_SYMBOL_LENGTH = 64
MAX_ID_LENGTH = 128
MAX_SIGNIFICANT_DIGITS = 30
"""Significant digits an amount may have."""
MAX_EXPONENT = 24
"""An amount's magnitude stays within ``10**-24`` .. ``10**24``."""

# Printable ASCII without the space: what symbols and ids are made of.
_PRINTABLE = re.compile(r"[\x21-\x7e]+")
# Characters that would change a URL's path, query or fragment when an id is put in a path.
_URL_UNSAFE = frozenset("/\\?#%")
# Decimal text with ASCII digits only: sign, digits, optional fraction and exponent.
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,10})?")


def check_symbol(value: object, *, field: str = "symbol", error: type[InvalidArgument] = InvalidArgument) -> str:
    """``value`` when it is a symbol: a string of 1-64 printable ASCII characters, no spaces.

    Raises ``error`` (:class:`InvalidArgument` by default) naming ``field``.
    """
    if not isinstance(value, str):
        raise error(f"{field} must be a string, got {type(value).__name__}", field=field)
    if not value or len(value) > MAX_SYMBOL_LENGTH or not _PRINTABLE.fullmatch(value):
        raise error(
            f"{field} must be 1-{MAX_SYMBOL_LENGTH} printable ASCII characters without spaces, got {value!r}",
            field=field,
        )
    return value


def check_id(
    value: object,
    *,
    field: str,
    max_length: int = MAX_ID_LENGTH,
    allow_int: bool = False,
    error: type[InvalidArgument] = InvalidArgument,
) -> str:
    """``value`` as an order id: 1-``max_length`` printable ASCII characters, none of ``/ \\ ? # %``,
    not dots only. ``allow_int``: a non-negative ``int`` is accepted and returned as decimal text.

    Raises ``error`` (:class:`InvalidArgument` by default) naming ``field``.
    """
    if allow_int and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    if not isinstance(value, str):
        raise error(f"{field} must be a string, got {type(value).__name__}", field=field)
    if not value or len(value) > max_length or not _PRINTABLE.fullmatch(value):
        raise error(
            f"{field} must be 1-{max_length} printable ASCII characters without spaces, got {value!r}", field=field
        )
    if _URL_UNSAFE.intersection(value) or not value.strip("."):
        raise error(f"{field} may not hold / \\ ? # % or be dots only, got {value!r}", field=field)
    return value


def parse_decimal_text(text: str, *, field: str, error: type[InvalidArgument] = InvalidOrder) -> Decimal:
    """A ``Decimal`` from text of ASCII digits (``-1.5``, ``2e3``); surrounding spaces allowed.

    Raises ``error`` naming ``field`` for anything else (``"1_0"``, non-ASCII digits, ``"NaN"``, ...).
    """
    stripped = text.strip()
    if len(stripped) > 64 or not _DECIMAL_TEXT.fullmatch(stripped):
        raise error(f"{field} is not a decimal number: {text[:80]!r}", field=field)
    try:
        return Decimal(stripped)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid text
        raise error(f"{field} is not a decimal number: {text[:80]!r}", field=field) from None


def check_decimal(value: Decimal, *, field: str, error: type[InvalidArgument] = InvalidOrder) -> Decimal:
    """``value`` when it is finite, has at most :data:`MAX_SIGNIFICANT_DIGITS` significant digits
    and a magnitude within ``10**±MAX_EXPONENT``; zero passes. Raises ``error`` naming ``field``."""
    _, digits, exponent = value.as_tuple()  # one call: exponent is "n", "N" or "F" when not finite
    if not isinstance(exponent, int):
        raise error(f"{field} must be finite, got {value}", field=field)
    if digits[0] == 0:  # a coefficient has no leading zero unless it is zero
        return value
    significant = len(digits)
    adjusted = exponent + significant - 1  # Decimal.adjusted()
    if not -MAX_EXPONENT <= adjusted <= MAX_EXPONENT:
        raise error(f"{field} is out of range (magnitude 1e{adjusted}): no venue takes it", field=field)
    while digits[significant - 1] == 0:  # trailing zeros are not significant (digits[0] is not 0 here)
        significant -= 1
    if significant > MAX_SIGNIFICANT_DIGITS:
        raise error(
            f"{field} has {significant} significant digits; at most {MAX_SIGNIFICANT_DIGITS} are accepted",
            field=field,
        )
    return value
