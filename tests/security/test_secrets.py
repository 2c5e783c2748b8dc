"""Secrets never leak: a recorded run with known test secrets, scanned everywhere it could show.

For each built-in venue, against its simulator: place, read back and cancel with logging at
DEBUG, record the HTTP interactions into a cassette, provoke authentication failures, and print
`stopkit preview`. Then every known secret (keys, client secrets, API tokens, and the bearer
tokens the venue issued during the run) is searched for in the cassette, the captured logs, the
exception strings and reprs, the objects' reprs and the CLI output.
"""

from __future__ import annotations

import contextlib
import io
import logging
from pathlib import Path
from typing import Any

import pytest

import stopkit
from stopkit.cli import main
from stopkit.testing import make_vcr

VENUES = ["pacifica", "aries", "b2trader"]


def _secret_values(venue: str, credentials: dict[str, str]) -> list[str]:
    adapter = stopkit.get_venue(venue)
    secret_names = {v.name for v in adapter.env_vars if v.secret}
    return [value for name, value in credentials.items() if name in secret_names and len(value) >= 8]


async def _session(venue: str, base_url: str, sim: Any, record_to: Path) -> tuple[list[str], list[BaseException], str]:
    # One ordinary session (recorded), plus failures; returns (issued tokens, errors, reprs).
    scenario = sim.demo_scenario()
    sim.set_price(scenario.symbol, scenario.start_price)
    errors: list[BaseException] = []
    tokens: list[str] = []
    reprs: list[str] = []
    vcr = make_vcr(str(record_to), record_mode="all")
    with vcr.use_cassette(f"{venue}.yaml"):
        async with stopkit.connect(
            venue, credentials=sim.demo_credentials(), config=sim.demo_config(base_url)
        ) as client:
            placed = await client.place(scenario.orders[0])
            if client.venue.capabilities.get_order:
                await client.get(venue_order_id=placed.venue_order_id, symbol=placed.symbol)
            await client.cancel(venue_order_id=placed.venue_order_id, symbol=placed.symbol)
            token = client._token  # the bearer token the venue issued, if any
            if token is not None:
                tokens.append(token.value)
            reprs += [repr(client.venue), repr(token), repr(placed), str(token)]
            reprs += _flow_reprs(client.venue, scenario.orders[0], placed, token)
            reprs += [repr(record) for record in client.pending()]
    # Wrong secrets: the errors must not quote them (or the right ones).
    wrong = {k: (v[:-4] + "XXXX" if len(v) > 8 else v) for k, v in sim.demo_credentials().items()}
    try:
        async with stopkit.connect(venue, credentials=wrong, config=sim.demo_config(base_url)) as client:
            await client.place(scenario.orders[1])
    except stopkit.StopkitError as exc:
        errors.append(exc)
    return tokens, errors, "\n".join(reprs)


def _flow_reprs(venue: Any, order: Any, placed: Any, token: Any) -> list[str]:
    # The repr of the first exchange of every flow (their build/parse are bound to the credentials),
    # and of the request each builds.
    from stopkit.venue import OrderRef

    ctx = stopkit.RequestContext(now_ms=1_767_225_600_000, access_token=token)
    ref = OrderRef(venue_order_id=placed.venue_order_id, client_order_id=order.client_order_id, symbol=placed.symbol)
    flows = [venue.place_flow(order), venue.reconcile_flow(order, sent_at_ms=0)]
    caps = venue.capabilities
    if caps.get_order:
        flows.append(venue.get_flow(ref))
    if caps.cancel:
        flows.append(venue.cancel_flow(ref))
    exchanges = [venue.token_exchange(None), venue.token_exchange(token)]
    for flow in flows:
        if flow is not None:
            with contextlib.suppress(StopIteration, stopkit.StopkitError):
                exchanges.append(next(flow))
    out = []
    for exchange in exchanges:
        if exchange is None:
            continue
        out.append(repr(exchange))
        with contextlib.suppress(stopkit.StopkitError):
            out.append(repr(exchange.build(ctx)))
    assert out, "no exchange was looked at"
    return out


def _chain(error: BaseException) -> str:
    # An error with everything chained to it (context and cause), as text.
    parts = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [
            str(current),
            repr(current),
            str(getattr(current, "raw_body", "")),
            " ".join(getattr(current, "__notes__", [])),
        ]
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


@pytest.mark.parametrize("venue", VENUES)
async def test_no_secret_anywhere(
    venue: str, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys, client secrets, API tokens and issued bearer tokens appear in no cassette, log, error or output."""
    sim = stopkit.get_venue(venue).simulator()
    assert sim is not None
    credentials = sim.demo_credentials()
    secrets = _secret_values(venue, credentials)
    assert secrets, f"{venue}: the demo credentials hold no secret to look for"
    caplog.set_level(logging.DEBUG)
    base_url = await sim.start()
    try:
        tokens, errors, reprs = await _session(venue, base_url, sim, tmp_path)
    finally:
        await sim.stop()
    secrets += tokens

    # The CLI: preview with the secrets in the environment, and a failing preview.
    for name, value in credentials.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("B2TRADER_BASE_URL", base_url)
    order = sim.demo_scenario().orders[0]
    argv = ["preview", venue, "--kind", "stop", "--symbol", order.symbol, "--side", order.side.value,
            "--quantity", str(order.quantity), "--stop-price", str(order.stop_price),
            "--time-in-force", order.time_in_force.value,
            "--venue-config", f"base_url={base_url}"]  # fmt: skip
    if order.position_effect is not None:
        argv += ["--position-effect", order.position_effect.value]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(argv) == 0
        with pytest.raises(SystemExit):
            main([*argv, "--trigger", "index"])

    cassette = (tmp_path / f"{venue}.yaml").read_text()
    assert "interactions" in cassette
    places = {
        "cassette": cassette,
        # Every log record but vcrpy's own (a test tool: while recording it logs raw interactions
        # before the scrubber runs, so recordings are made with its logger quiet).
        "logs": "\n".join(
            f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records if not r.name.startswith("vcr")
        ),
        "errors": "\n".join(_chain(e) for e in errors),
        "reprs": reprs,
        "cli": out.getvalue() + err.getvalue(),
    }
    assert errors, "the wrong credentials were not refused"
    assert any(r.name.startswith("stopkit") for r in caplog.records), "no stopkit log record was captured"
    for secret in secrets:
        for where, text in places.items():
            assert secret not in text, f"{venue}: a secret ({secret[:3]}...) appears in the {where}"
