"""``stopkit journal list|recover|prune`` against a SQLite journal and the Pacifica simulator."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from journal_rig import PACIFICA

import stopkit
from stopkit.cli import main
from stopkit.journal import EntryStatus, JournalEntry, open_journal


async def _seed(url: str, order: stopkit.StopOrder, status: EntryStatus, created_at_ms: int) -> None:
    async with open_journal(url) as journal:
        await journal.claim(
            JournalEntry(
                id=f"place:{order.client_order_id}",
                venue="pacifica",
                account="acct",
                operation="place",
                status=status,
                owner="0" * 32 if status.is_open else None,
                client_order_id=order.client_order_id,
                order=order,
                created_at_ms=created_at_ms,
            )
        )


def test_list_and_prune(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """list prints every entry (table or JSON lines, filtered by status); prune removes old settled ones only."""
    url = f"sqlite://{tmp_path / 'j.db'}"
    old = 1_000_000  # 1970: older than any retention
    asyncio.run(_seed(url, PACIFICA.order(1, "cli"), EntryStatus.APPLIED, old))
    asyncio.run(_seed(url, PACIFICA.order(2, "cli"), EntryStatus.UNKNOWN, old))
    assert main(["journal", "list", "--journal", url]) == 0
    table = capsys.readouterr().out
    assert "APPLIED" in table
    assert "UNKNOWN" in table
    assert "2 entries" in table
    assert main(["journal", "list", "--journal", url, "--json", "--status", "unknown"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["status"] for line in lines] == ["unknown"]
    assert main(["journal", "prune", "--journal", url]) == 0
    assert "pruned 1 " in capsys.readouterr().out
    assert main(["journal", "list", "--journal", url, "--json"]) == 0
    assert [json.loads(line)["status"] for line in capsys.readouterr().out.splitlines()] == ["unknown"]


def test_journal_needs_a_url(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Without --journal or STOPKIT_JOURNAL the command exits 2 with one line."""
    monkeypatch.delenv("STOPKIT_JOURNAL", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["journal", "list"])
    assert exit_info.value.code == 2
    assert "--journal" in capsys.readouterr().err


async def test_recover_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """recover settles a dead client's entry (the order landed) with the environment's credentials; exit 0."""
    sim = PACIFICA.make_sim()
    base_url = await sim.start()
    try:
        for key, value in sim.demo_credentials().items():
            monkeypatch.setenv(key, value)
        url = f"sqlite://{tmp_path / 'j.db'}"
        order = PACIFICA.order(3, "cli-recover")
        async with stopkit.connect("pacifica", credentials=None, config=sim.demo_config(base_url)) as direct:
            await direct.place(order)  # it landed; the dead client's entry says only "sent"
        client = stopkit.connect("pacifica", credentials=None, config=sim.demo_config(base_url), journal=url)
        async with client:
            assert client.journal is not None
            account = client.journal.account
            async with open_journal(url) as journal:
                await journal.claim(
                    JournalEntry(
                        id=f"place:{order.client_order_id}",
                        venue="pacifica",
                        account=account,
                        operation="place",
                        status=EntryStatus.SENT,
                        owner="0" * 32,
                        client_order_id=order.client_order_id,
                        order=order,
                        created_at_ms=time.time_ns() // 1_000_000 - 1000,
                    )
                )
        from stopkit.journal.cli import run_recover

        code = await run_recover(url, "pacifica", config={"base_url": base_url}, as_json=True)
        statuses = [json.loads(line)["status"] for line in capsys.readouterr().out.splitlines()]
    finally:
        await sim.stop()
    assert code == 0
    assert statuses == ["applied"]
    assert [o.client_order_id for o in sim.orders.values()] == [order.client_order_id]
