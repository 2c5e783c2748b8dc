"""``stopkit journal list|recover|prune``: the journal from the command line.

- ``list``: the entries (oldest first) as a table, or JSON lines with ``--json``;
- ``recover VENUE``: settle the venue's entries left in flight or unknown (credentials from the
  venue's environment variables, as every command), print the results; exit 3 when any stays UNKNOWN;
- ``prune``: delete settled entries older than ``--older-than-days`` (default: the journal's retention).

The journal URL comes from ``--journal`` or ``STOPKIT_JOURNAL``; it is never printed (it may hold
a Redis password).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

from stopkit.journal import EntryStatus, JournalEntry, open_journal

__all__ = ["run_list", "run_prune", "run_recover"]


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S") if ms else "-"


def _row(entry: JournalEntry) -> list[str]:
    note = ""
    if entry.state is not None:
        note = entry.state.status.name
    elif entry.error is not None:
        note = f"{entry.error.get('type')}: {entry.error.get('message')}"
    return [
        _when(entry.created_at_ms),
        entry.venue,
        entry.account if len(entry.account) <= 16 else entry.account[:7] + "…" + entry.account[-6:],
        entry.operation,
        entry.client_order_id or "-",
        entry.venue_order_id or "-",
        entry.status.value.upper(),
        note[:80],
    ]


def print_entries(entries: Sequence[JournalEntry], out: TextIO, *, as_json: bool) -> None:
    """``entries`` as a table (or one JSON object per line)."""
    if as_json:
        for entry in entries:
            out.write(entry.to_json() + "\n")
        return
    head = ["created (UTC)", "venue", "account", "op", "client order id", "venue order id", "status", "state / error"]
    rows = [head, *(_row(e) for e in entries)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    for row in rows:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n")
    out.write(f"{len(entries)} entries\n")


async def run_list(
    url: str, *, venue: str | None, statuses: Sequence[str], as_json: bool, out: TextIO | None = None
) -> int:
    """Print the journal's entries (filtered by venue and statuses); returns 0."""
    out = out or sys.stdout
    wanted = [EntryStatus(s) for s in statuses] or None
    async with open_journal(url) as journal:
        entries = await journal.entries(venue, statuses=wanted)
    print_entries(entries, out, as_json=as_json)
    return 0


async def run_recover(url: str, venue: str, *, config: dict[str, Any], as_json: bool, out: TextIO | None = None) -> int:
    """Recover ``venue``'s entries with the environment's credentials; 3 when any stays UNKNOWN, else 0."""
    from stopkit.api import connect

    out = out or sys.stdout
    async with connect(venue, credentials=None, config=config, journal=url) as client:
        results = await client.recover()
    print_entries(results, out, as_json=as_json)
    from stopkit.cli_json import EXIT_OK, EXIT_UNKNOWN

    return EXIT_UNKNOWN if any(entry.status is EntryStatus.UNKNOWN for entry in results) else EXIT_OK


async def run_prune(
    url: str, *, older_than_days: float | None, as_json: bool = False, out: TextIO | None = None
) -> int:
    """Delete settled entries older than ``older_than_days`` (default: the journal's retention); returns 0."""
    out = out or sys.stdout
    async with open_journal(url) as journal:
        days = older_than_days
        if days is None:
            days = None if journal.retention_s is None else journal.retention_s / 86_400
        removed = 0
        if days is not None:
            removed = await journal.prune(before_ms=time.time_ns() // 1_000_000 - int(days * 86_400_000))
    if as_json:
        out.write(json.dumps({"pruned": removed, "older_than_days": days}) + "\n")
    elif days is None:
        out.write("retention is off (retention_days=none): nothing pruned; give --older-than-days\n")
    else:
        out.write(f"pruned {removed} settled entries older than {days:g} days\n")
    return 0
