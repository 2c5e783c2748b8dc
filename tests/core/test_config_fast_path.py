"""structure_config without the converter when every value already has its field's type: the same config."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stopkit import ConfigurationError
from stopkit.venue import _config_converter, structure_config
from stopkit_venues.aries.adapter import AriesConfig
from stopkit_venues.b2trader.adapter import B2TraderConfig
from stopkit_venues.pacifica.config import PacificaConfig

CONFIGS = (PacificaConfig, AriesConfig, B2TraderConfig)
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 100_000),
    st.floats(-5, 1e6, allow_nan=False),
    st.sampled_from(["", "x", "1", "true", "off", "30000", "2.5", "https://api.example.com", "form", "Ioc", "ABC123"]),
)


def _converted(cls: type, data: dict[str, Any]) -> Any:
    # What the cattrs converter makes of `data`, or the error it reports.
    try:
        return _config_converter().structure(data, cls)
    except Exception as exc:  # noqa: BLE001 - compared by type with structure_config's error
        return type(exc)


@given(st.sampled_from(CONFIGS), st.data())
def test_typed_or_text_values_give_the_converter_s_config(cls: type, data: st.DataObject) -> None:
    """Any mix of values: structure_config's config equals the converter's, or both refuse it."""
    names = [field.name for field in attrs.fields(cls)]
    values = data.draw(st.dictionaries(st.sampled_from(names), VALUES, max_size=4))
    expected = _converted(cls, values)
    try:
        got: Any = structure_config(cls, values, venue="v")
    except ConfigurationError:
        assert isinstance(expected, type)
        assert issubclass(expected, Exception)
    else:
        assert got == expected


def test_a_refused_typed_value_is_reported_by_the_converter() -> None:
    """A typed value a validator refuses gets the converter's message (the shortcut adds none of its own)."""
    with pytest.raises(ConfigurationError, match="bad config") as typed:
        structure_config(B2TraderConfig, {"requests_per_s": -1.0}, venue="b2trader")
    with pytest.raises(ConfigurationError, match="bad config") as text:
        structure_config(B2TraderConfig, {"requests_per_s": "-1"}, venue="b2trader")  # never the shortcut
    assert str(typed.value) == str(text.value)


def test_connect_with_default_or_typed_config_loads_no_converter() -> None:
    """connect() with no config, or typed values, never imports cattrs."""
    code = (
        "import sys, stopkit\n"
        "key = {'PACIFICA_PRIVATE_KEY': '1111111111111111111111111111111111111111111111111111111111111111'}\n"
        "stopkit.connect('pacifica', credentials=key)\n"
        "config = {'base_url': 'http://127.0.0.1:9', 'market_info_ttl_s': 5.0}\n"
        "stopkit.connect('pacifica', credentials=key, config=config)\n"
        "print('cattrs' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
