"""Shared test configuration: cassettes under ``cassettes/<venue>/`` with stopkit's vcr settings.

Cassette tests replay with record mode ``none`` (set in pyproject's addopts):
no server is started and nothing but the cassette answers. To re-record, run
``python -m pytest tests/venues/<venue> --record-mode=rewrite``: the tests then
start the venue's simulator on 127.0.0.1 and vcrpy writes what passed over the
loopback, secrets scrubbed.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from stopkit.testing import configure_vcr
from stopkit.testing import vcr_config as stopkit_vcr_config

# Property tests run with a fixed seed (derandomize) and a bounded number of examples, so a CI run
# is reproducible and fast; HYPOTHESIS_PROFILE=deep explores more.
settings.register_profile(
    "ci", derandomize=True, max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("deep", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"

# Nothing listens here: in replay mode a request that escapes the cassette fails loudly.
UNREACHABLE_BASE_URL = "http://127.0.0.1:9"


@pytest.fixture(scope="session")
def vcr_config() -> dict[str, Any]:
    """pytest-recording: stopkit's matchers and scrubbers."""
    return stopkit_vcr_config()


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    """pytest-recording hook: register the ``raw_body`` matcher."""
    configure_vcr(vcr)


@pytest.fixture
def recording(request: pytest.FixtureRequest) -> bool:
    """True when cassettes are being (re)written, i.e. the simulator must really run."""
    return str(request.config.getoption("--record-mode")) != "none"


@pytest.fixture
async def served() -> AsyncIterator[Callable[[Any], Any]]:
    """Start aiohttp apps on 127.0.0.1 (ephemeral ports): ``await served(app)`` → RunningServer.

    Every server started this way is closed when the test ends.
    """
    from stopkit.testing.simkit import serve

    servers: list[Any] = []

    async def start(app: Any) -> Any:
        server = await serve(app)
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.close()
