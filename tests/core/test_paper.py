"""Paper trading: connect(paper=True) against each built-in venue's simulator, in this process."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal

import aiohttp
import pytest

import stopkit
from stopkit import ConfigurationError, InvalidArgument, OrderState, OrderStatus, StreamGap

# venue, unified symbol, order, price before, price through the stop
CASES = [
    ("pacifica", "BTC/USDC:USDC", {"quantity": "0.1", "position_effect": "close"}, "50000", "47000"),
    ("aries", "AAPL", {"quantity": 10, "time_in_force": "day"}, "150", "144"),
    ("b2trader", "BTC/USDT", {"quantity": "0.01"}, "65000", "59000"),
]


@pytest.mark.parametrize(("venue", "symbol", "extra", "before", "through"), CASES)
async def test_paper_place_trigger_cancel(
    venue: str, symbol: str, extra: dict[str, object], before: str, through: str
) -> None:
    """A paper client places with unified symbols; set_price through the stop shows the trigger on the stream."""
    async with stopkit.connect(venue, paper=True) as client:
        assert client.is_paper
        client.paper.set_price(symbol, before)
        seen: list[OrderState | StreamGap] = []
        ready = asyncio.Event()

        async def watch() -> None:
            async with contextlib.aclosing(client.watch_orders(ready=ready)) as updates:
                async for update in updates:
                    seen.append(update)

        task = asyncio.create_task(watch())
        await asyncio.wait_for(ready.wait(), 5)
        order = stopkit.StopOrder(symbol=symbol, side="sell", stop_price=Decimal(through) + 1, **extra)  # type: ignore[arg-type]
        placed = await client.place(order)
        assert placed.status is OrderStatus.ACCEPTED
        client.paper.set_price(symbol, through)
        for _ in range(200):
            if any(isinstance(u, OrderState) and u.status.is_triggered for u in seen):
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert any(isinstance(u, OrderState) and u.status.is_triggered for u in seen), seen


async def test_paper_ignores_given_credentials_and_base_url() -> None:
    """paper=True uses the demo credentials and the simulator's base_url, whatever the caller passes."""
    real = {"PACIFICA_PRIVATE_KEY": "not-a-key-at-all"}
    async with stopkit.connect(
        "pacifica", paper=True, credentials=real, config={"base_url": "https://api.pacifica.fi"}
    ) as client:
        assert client.paper.base_url.startswith("http://127.0.0.1:")
        assert client.paper.config["base_url"] == client.paper.base_url
        assert "not-a-key-at-all" not in client.paper.credentials.values()
        client.paper.set_price("BTC", 50000)
        order = stopkit.StopOrder(symbol="BTC", side="sell", quantity="0.1", stop_price=48000, position_effect="close")
        assert (await client.place(order)).status is OrderStatus.ACCEPTED


async def test_paper_server_stops_when_the_client_closes() -> None:
    """The simulator serves from the first request until close; afterwards its port refuses connections."""
    async with stopkit.connect("aries", paper=True) as client:
        await client.open_orders()
        url = client.paper.base_url
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(url + "/")


async def test_set_price_checks_its_arguments() -> None:
    """set_price refuses floats, non-positive prices and markets the simulator does not list."""
    async with stopkit.connect("pacifica", paper=True) as client:
        with pytest.raises(InvalidArgument) as info:
            client.paper.set_price("BTC", 1.5)  # type: ignore[arg-type]
        assert info.value.field == "price"
        with pytest.raises(InvalidArgument):
            client.paper.set_price("BTC", "0")
        with pytest.raises(InvalidArgument) as info:
            client.paper.set_price("NOSUCH", "1")
        assert info.value.field == "symbol"


async def test_a_live_client_has_no_paper_market() -> None:
    """client.paper on a client of the real venue raises ConfigurationError; is_paper is False."""
    sim = stopkit.simulator("aries")
    client = stopkit.connect("aries", credentials=sim.demo_credentials(), config=sim.demo_config("https://a.invalid"))
    async with client:
        assert not client.is_paper
        with pytest.raises(ConfigurationError):
            _ = client.paper


def test_simulator_without_one_is_a_configuration_error(fake_adapter: stopkit.VenueAdapter) -> None:
    """stopkit.simulator() and paper=True for a venue that ships none raise ConfigurationError."""
    with pytest.raises(ConfigurationError, match="no simulator"):
        stopkit.simulator(fake_adapter)
    with pytest.raises(ConfigurationError, match="no simulator"):
        stopkit.connect(fake_adapter, paper=True)
