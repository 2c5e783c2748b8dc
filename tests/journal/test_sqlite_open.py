"""Opening one new SQLite journal from many connections at once (several bot processes starting together)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from stopkit.errors import ConfigurationError
from stopkit.journal.sqlite import SQLiteJournal


async def test_many_journals_open_one_new_file_at_once(tmp_path: Path) -> None:
    """Eight journals opening the same new file together all open it in WAL mode, round after round: SQLite's
    lock-upgrade refusal while the file switches to WAL is waited out, not reported as a broken journal."""
    for round_number in range(120):  # the race hit about 1 round in 30 before the fix
        path = tmp_path / f"round-{round_number}" / "orders.db"
        journals = [SQLiteJournal(path) for _ in range(8)]
        try:
            results = await asyncio.gather(*(journal.open() for journal in journals), return_exceptions=True)
            assert [r for r in results if isinstance(r, BaseException)] == []
        finally:
            for journal in journals:
                await journal.close()
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"entries", "owners"} <= tables


async def test_a_file_that_is_not_a_database_is_refused_at_once(tmp_path: Path) -> None:
    """A path holding something else is a ConfigurationError naming the path, without waiting out the busy
    timeout (only a locked database is retried)."""
    path = tmp_path / "orders.db"
    path.write_bytes(b"this is not a SQLite database, it is a text file" * 100)
    journal = SQLiteJournal(path, busy_timeout_s=30)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(ConfigurationError, match=r"orders\.db: cannot open it as a SQLite journal"):
        await journal.open()
    assert loop.time() - started < 5
    await journal.close()
