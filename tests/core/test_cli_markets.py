"""``stopkit markets VENUE``: the venue's markets and their order rules, as a table or JSON."""

from __future__ import annotations

import json

import pytest

from stopkit.cli import main


def test_markets_table_from_the_simulator(capsys: pytest.CaptureFixture[str]) -> None:
    """One line per market: unified and venue symbol, tick, lot and the bounds the venue publishes ("-" when not)."""
    assert main(["markets", "pacifica", "--paper"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["symbol", "venue", "symbol", "tick"]
    btc = next(line.split() for line in lines if line.startswith("BTC/USDC:USDC"))
    assert btc == ["BTC/USDC:USDC", "BTC", "1", "0.00001", "-", "-", "10", "0", "1000000"]


def test_markets_json_for_chosen_symbols_names_what_is_missing(capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints one object; --symbol asks for those markets only; a derivative symbol is named in reason."""
    assert (
        main(["markets", "b2trader", "--simulator", "--json", "--symbol", "BTC/USDT", "--symbol", "ETH/USDT:USDT"]) == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["venue"] == "b2trader"
    assert [(m["symbol"], m["venue_symbol"], m["tick_size"], m["lot_size"]) for m in out["markets"]] == [
        ("BTC/USDT", "spot.btc_usdt", "0.01", "0.00001")
    ]
    assert "ETH/USDT:USDT" in out["reason"]


def test_markets_of_a_venue_that_publishes_none_say_why(capsys: pytest.CaptureFixture[str]) -> None:
    """Aries: no markets, and a note with the reason."""
    assert main(["markets", "aries", "--paper"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("aries: no markets")
    assert "note: aries publishes no market rules" in out


def test_markets_of_an_unknown_venue_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown venue: exit status 2 and one line on stderr."""
    with pytest.raises(SystemExit) as info:
        main(["markets", "nope"])
    assert info.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1
