"""Owner liveness: a client in another process counts as alive until it is killed (kill -9), then at once as dead."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest

from stopkit.journal import open_journal

_HOLDER = """
import asyncio, sys
from stopkit.journal import open_journal

async def main():
    journal = open_journal(sys.argv[1])
    await journal.open()
    await journal.register_owner(sys.argv[2])
    print("REGISTERED", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
async def test_killed_owner_is_dead_at_once(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """An owner registered by another process is alive; after kill -9 it is dead within a second (no lease wait)."""
    url = f"sqlite://{tmp_path / 'j.db'}" if backend == "sqlite" else str(request.getfixturevalue("redis_url"))
    owner = "f" * 32
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _HOLDER, url, owner, stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=30)
        assert line.strip() == b"REGISTERED"
        async with open_journal(url) as journal:
            assert await journal.owner_alive(owner)
            assert not await journal.owner_alive("e" * 32)  # never registered
            proc.kill()
            await proc.wait()
            deadline = time.monotonic() + 1.0
            while await journal.owner_alive(owner):
                assert time.monotonic() < deadline, "a killed owner still counts as alive"
                await asyncio.sleep(0.02)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_clean_release(tmp_path: Path) -> None:
    """An owner released by its own client is dead for everyone else."""
    async with open_journal(f"sqlite://{tmp_path / 'j.db'}") as journal:
        await journal.register_owner("a" * 32)
        async with open_journal(f"sqlite://{tmp_path / 'j.db'}") as other:
            assert await other.owner_alive("a" * 32)
            await journal.release_owner("a" * 32)
            assert not await other.owner_alive("a" * 32)
