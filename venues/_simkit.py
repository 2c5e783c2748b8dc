"""Moved to :mod:`stopkit.testing.simkit` (public, for plugin authors too); re-exported here."""

from stopkit.testing.simkit import (
    FAULT_KINDS,
    FAULTS_THAT_PROCESS,
    Fault,
    FaultInjector,
    RunningServer,
    ServedSimulator,
    limit_fill_price,
    serve,
    should_trigger,
)

__all__ = [
    "FAULTS_THAT_PROCESS",
    "FAULT_KINDS",
    "Fault",
    "FaultInjector",
    "RunningServer",
    "ServedSimulator",
    "limit_fill_price",
    "serve",
    "should_trigger",
]
