"""`stopkit preview b2trader ...`: the exact request for every placement option (issue 5 item 2), via cli.main."""

from __future__ import annotations

import itertools
import json

import pytest

from stopkit.cli import main

BASE_URL = "https://trade.broker.invalid"
ACCOUNT_ID = "685a7eaa360f9e7416221a61"
API_TOKEN = "cli-test-api-token-93ab"  # a test value

HEADERS = {
    "Authorization": "Bearer ***",
    "accountId": ACCOUNT_ID,
    "Content-Type": "application/json; x-api-version=4.0",
    "Accept": "*/*",
}
TIF_WIRE = {"gtc": "Gtc", "ioc": "Ioc", "fok": "Fok", "day": "Day", "gtd": "Gtd"}


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The B2TRADER variables, as a user would export them."""
    monkeypatch.setenv("B2TRADER_BASE_URL", BASE_URL)
    monkeypatch.setenv("B2TRADER_API_TOKEN", API_TOKEN)
    monkeypatch.setenv("B2TRADER_ACCOUNT_ID", ACCOUNT_ID)


def _preview(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:
    code = main(["preview", "b2trader", "--now-ms", "1755187645819", *args])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if code == 0 else {}), captured.err


def _expected_body(*, kind: str, side: str, tif: str, numbers: bool) -> str:
    # The body as "Place SPOT Stop order" describes it, written out independently of the adapter; a
    # stop-market's GTC is sent as Ioc (the documented Market stop's value).
    def dec(text: str) -> str:
        return text if numbers else f'"{text}"'

    parts = [
        '"marketId":"spot.btc_usdt"',
        f'"side":"{side.capitalize()}"',
        f'"orderType":"{"Market" if kind == "stop" else "Limit"}"',
        f'"activationPrice":{dec("128000.5")}',
        f'"requestedAmount":{dec("0.01")}',
    ]
    if kind == "stop-limit":
        parts.append(f'"requestedPrice":{dec("128100")}')
    wire = "Ioc" if kind == "stop" and tif == "gtc" else TIF_WIRE[tif]
    parts.append(f'"timeInForce":"{wire}"')
    if tif == "gtd":
        parts.append('"cancellationDate":"2026-12-01T13:30:00.250Z"')
    return '{"order":{' + ",".join(parts) + "}}"


MATRIX = [
    combo
    for combo in itertools.product(
        ["stop", "stop-limit"],
        ["buy", "sell"],
        ["gtc", "ioc", "fok", "day", "gtd"],
        [False, True],
        ["BTC/USDT", "spot.btc_usdt"],
    )
    # DAY and GTD apply to limit orders: a stop-market with one is refused (test_preview_refusals_exit_2_with_one_line).
    if not (combo[0] == "stop" and combo[2] in ("day", "gtd"))
]


@pytest.mark.parametrize(("kind", "side", "tif", "numbers", "symbol"), MATRIX)
def test_preview_matrix(capsys, kind, side, tif, numbers, symbol) -> None:
    """Both kinds x both sides x five TIFs x strings/numbers x unified/native symbol: exact URL, headers, bytes."""
    args = ["--kind", kind, "--symbol", symbol, "--side", side, "--quantity", "0.0100", "--stop-price", "128000.50"]
    if kind == "stop-limit":
        args += ["--limit-price", "128100.0"]
    args += ["--time-in-force", tif]
    if tif == "gtd":
        args += ["--expire-at", "2026-12-01T15:30:00.250999+02:00"]  # → UTC, milliseconds truncated
    if numbers:
        args += ["--venue-config", "decimals_as_numbers=true"]
    code, out, err = _preview(capsys, *args)
    assert code == 0, err
    assert out["method"] == "POST"
    assert out["url"] == BASE_URL + "/frontoffice/api/v3/stop-orders"
    assert out["headers"] == HEADERS
    assert list(out["headers"]) == list(HEADERS)
    assert out["body_text"] == _expected_body(kind=kind, side=side, tif=tif, numbers=numbers)
    assert API_TOKEN not in json.dumps(out)


def test_preview_numbers_mode_keeps_every_digit(capsys) -> None:
    """decimals_as_numbers with values no float can hold: body_text carries them digit for digit."""
    code, out, err = _preview(
        capsys,
        "--kind",
        "stop",
        "--symbol",
        "ETH/BTC",
        "--side",
        "buy",
        "--quantity",
        "123456789012.12345678",
        "--stop-price",
        "1234567890123456789.01",
        "--venue-config",
        "decimals_as_numbers=yes",
    )
    assert code == 0, err
    assert '"activationPrice":1234567890123456789.01,"requestedAmount":123456789012.12345678,' in out["body_text"]


def test_preview_compatible_position_effects_add_nothing(capsys) -> None:
    """BUY+OPEN and SELL+CLOSE are what spot does: the same body as without a position effect."""
    base = ["--kind", "stop", "--symbol", "BTC/USDT", "--quantity", "1", "--stop-price", "100"]
    for side, effect in (("buy", "open"), ("sell", "close")):
        _, plain, _ = _preview(capsys, *base, "--side", side)
        _, with_effect, _ = _preview(capsys, *base, "--side", side, "--position-effect", effect)
        assert with_effect["body_text"] == plain["body_text"]


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--side", "sell", "--position-effect", "open"], "short sale"),
        (["--side", "buy", "--position-effect", "close"], "cover a short"),
        (["--side", "buy", "--trigger", "mark"], "trigger_type=MARK_PRICE is not supported"),
        (["--side", "buy", "--trigger", "last"], "trigger_type=LAST_PRICE is not supported"),
        (["--side", "buy", "--trigger", "mid"], "trigger_type=MID_POINT is not supported"),
        (["--side", "buy", "--trigger", "index"], "trigger_type=INDEX_PRICE is not supported"),
        (["--side", "sell", "--position-effect", "close", "--quantity", "whole-position"], "quantity=None"),
        (["--side", "buy", "--symbol", "BTC/USDT:USDT"], "SPOT"),
        (["--side", "buy", "--venue-config", "decimals_as_numbers=perhaps"], "decimals_as_numbers"),
        (["--side", "buy", "--time-in-force", "day"], "does not apply to a stop-market"),
        (["--side", "buy", "--time-in-force", "gtd", "--expire-at", "2030-01-01T00:00:00+00:00"], "GTD and DAY"),
    ],
)
def test_preview_refusals_exit_2_with_one_line(capsys, extra, fragment) -> None:
    """What spot cannot do is refused before a request is built: exit 2, one line naming the reason."""
    args = ["--kind", "stop", "--symbol", "BTC/USDT", "--quantity", "1", "--stop-price", "100"]
    # A later --symbol / --quantity in ``extra`` overrides (argparse keeps the last).
    with pytest.raises(SystemExit) as excinfo:
        main(["preview", "b2trader", *args, *extra])
    assert excinfo.value.code == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert err.count("\n") == 1
    assert API_TOKEN not in err
