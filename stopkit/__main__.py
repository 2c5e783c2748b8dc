"""``python -m stopkit``: the ``stopkit`` command."""

from __future__ import annotations

from stopkit.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
