"""A durable order journal: each client order id is placed at most once across crashes, restarts,
processes and hosts, and its outcome is recorded or reported as unknown (never silently lost).

With a journal (``stopkit.connect(..., journal="sqlite:///var/lib/bot/orders.db")``) every write
is recorded before its request leaves and again once its outcome is known:

1. **Claim**: ``place(order)`` first claims ``place:<client order id>`` atomically. An id whose
   outcome is recorded returns it without sending (APPLIED → the recorded state; REFUSED → the
   recorded refusal); one held by another live client waits for it (``claim_wait_s``).
2. **Sent mark**: just before the request leaves, the entry is durably marked SENT. An entry
   still CLAIMED after a crash provably never left: it is sent afresh.
3. **Outcome**: APPLIED (with the state), REFUSED, NOT_APPLIED or UNKNOWN.

An entry left SENT by a client that died, or UNKNOWN, is reconciled with the venue (the
client's own reconciliation: :meth:`BoundVenue.reconcile_flow`) before anything is sent:
found → APPLIED; not found → UNKNOWN, and nothing is sent (a venue adapter may resend inside its
reconciliation where the venue refuses duplicates: Pacifica with ``resend_after_unknown``). Only an
entry never marked sent provably never left: it is sent afresh.
:meth:`VenueClient.recover() <stopkit.client.VenueClient.recover>` does this for every such
entry; ``stopkit journal list|recover|prune`` on the command line.

Backends (:class:`Journal`): :class:`SQLiteJournal` (embedded default, one host, several
processes) and :class:`RedisJournal` (many processes and hosts). URLs (:func:`open_journal`):

- ``sqlite:///absolute/path/orders.db``, ``sqlite:relative/path.db``;
- ``redis://[:password@]host:6379/0`` (also ``rediss://``, ``unix://``);
- query keys: ``retention_days`` (default 30; ``none`` keeps everything), ``lease_s``.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from stopkit.errors import ConfigurationError
from stopkit.journal._base import DEFAULT_RETENTION_DAYS, Journal
from stopkit.journal._binding import ClaimLost, JournalBinding, account_of
from stopkit.journal._model import EntryStatus, JournalEntry
from stopkit.journal.redis import RedisJournal
from stopkit.journal.sqlite import SQLiteJournal

__all__ = [
    "ClaimLost",
    "EntryStatus",
    "Journal",
    "JournalBinding",
    "JournalEntry",
    "RedisJournal",
    "SQLiteJournal",
    "account_of",
    "open_journal",
]


def _number(name: str, raw: str | None, default: float | None) -> float | None:
    if raw is None:
        return default
    if raw.lower() in ("none", "never", "off"):
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise ConfigurationError(f"journal URL: {name} must be a positive number or 'none', got {raw!r}")
    return value


def open_journal(target: str | os.PathLike[str] | Journal) -> Journal:
    """The :class:`Journal` for a URL (see the module docstring), a path (SQLite), or ``target``
    itself. No I/O: the journal opens on first use.

    Raises:
        ConfigurationError: an unknown scheme or a malformed query value.
    """
    if isinstance(target, Journal):
        return target
    if isinstance(target, os.PathLike):
        return SQLiteJournal(Path(target))
    parts = urlsplit(str(target))
    query = dict(parse_qsl(parts.query))
    unknown = set(query) - {"retention_days", "lease_s"}
    retention = _number("retention_days", query.pop("retention_days", None), DEFAULT_RETENTION_DAYS)
    lease = _number("lease_s", query.pop("lease_s", None), 10.0) or 10.0
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        if unknown:
            raise ConfigurationError(f"journal URL: unknown keys {sorted(unknown)}")
        path = parts.netloc + parts.path
        if not path:
            raise ConfigurationError("journal URL: sqlite needs a file path, e.g. sqlite:///var/lib/bot/orders.db")
        return SQLiteJournal(path, retention_days=retention, lease_s=lease)
    if scheme in ("redis", "rediss", "unix"):
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
        return RedisJournal(url, retention_days=retention, lease_s=lease)
    raise ConfigurationError(
        f"journal: unknown scheme {parts.scheme or '(none)'!r}: use sqlite:///path/orders.db or redis://host:6379/0"
    )
