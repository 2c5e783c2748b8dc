"""Test configuration of the stopkit-alpaca example (independent of stopkit's own tests/conftest.py).

Cassettes live in ``examples/stopkit-alpaca/cassettes/`` and replay with record mode ``none``
(set in this distribution's pyproject): no server runs and nothing but the cassette answers. To
re-record against the simulator: ``python -m pytest tests --record-mode=rewrite`` (from the
example's directory). Both key headers are masked before anything is written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from stopkit.testing import configure_vcr
from stopkit.testing import vcr_config as stopkit_vcr_config

from stopkit_alpaca.constants import SECRET_HEADERS

EXAMPLE_ROOT = Path(__file__).resolve().parent.parent
CASSETTES = EXAMPLE_ROOT / "cassettes"


@pytest.fixture(scope="session")
def vcr_config() -> dict[str, Any]:
    """pytest-recording: stopkit's matchers and scrubbers, plus Alpaca's two key headers."""
    return stopkit_vcr_config(extra_secret_headers=SECRET_HEADERS)


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    """pytest-recording hook: register stopkit's ``raw_body`` matcher."""
    configure_vcr(vcr)


@pytest.fixture
def vcr_cassette_dir() -> str:
    """Every cassette of this example lives in ``cassettes/``."""
    return str(CASSETTES)


@pytest.fixture
def recording(request: pytest.FixtureRequest) -> bool:
    """True when cassettes are being (re)written, i.e. the simulator must really run."""
    return str(request.config.getoption("--record-mode")) != "none"


@pytest.fixture
async def served() -> AsyncIterator[Callable[[Any], Awaitable[Any]]]:
    """Start simulators on 127.0.0.1 (ephemeral ports): ``await served(sim)`` → base URL.

    Every simulator started this way is stopped when the test ends.
    """
    started: list[Any] = []

    async def start(sim: Any) -> str:
        base_url: str = await sim.start()
        started.append(sim)
        return base_url

    yield start
    for sim in started:
        await sim.stop()
