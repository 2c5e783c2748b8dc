"""Options of the chaos suite: ``--chaos-orders N`` (default 300, split across the venues),
``--chaos-fault-rate R`` (default 0.2) and ``--chaos-seed S``."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stopkit chaos")
    group.addoption("--chaos-orders", type=int, default=300, help="orders placed across the venues (default 300)")
    group.addoption("--chaos-fault-rate", type=float, default=0.2, help="share of requests hit by a fault")
    group.addoption("--chaos-seed", type=int, default=20261121, help="seed of the fault draw")
