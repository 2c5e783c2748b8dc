"""Architecture rules pinned by tests: what may import what."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_stopkit_never_imports_venues() -> None:
    """The core does not depend on any venue; venues are found through entry points."""
    for path in (ROOT / "stopkit").rglob("*.py"):
        assert not any(m.split(".")[0] in ("venues", "stopkit_venues") for m in _imports(path)), path


def test_only_transport_imports_aiohttp_and_only_retry_imports_tenacity() -> None:
    """One transport module, one retry module (the simulator kit, test infrastructure, may serve HTTP)."""
    for path in (ROOT / "stopkit").rglob("*.py"):
        mods = _imports(path)
        if path.name != "transport.py" and path.relative_to(ROOT).as_posix() != "stopkit/testing/simkit.py":
            assert not any(m.split(".")[0] == "aiohttp" for m in mods), path
        if path.name != "retry.py":
            assert not any(m.split(".")[0] == "tenacity" for m in mods), path


def test_venue_adapters_are_pure() -> None:
    """Adapter modules import no I/O library and never read the clock or the environment."""
    forbidden = {"aiohttp", "asyncio", "socket", "requests", "httpx", "time", "os", "random", "tenacity"}
    for path in (ROOT / "venues").rglob("*.py"):
        if path.name == "simulator.py":
            continue
        mods = {m.split(".")[0] for m in _imports(path)}
        assert not (mods & forbidden), f"{path} imports {mods & forbidden}"
        assert "await " not in path.read_text(encoding="utf-8"), path


def test_import_stopkit_loads_no_http_stack() -> None:
    """`import stopkit` loads the model only: no aiohttp, tenacity or venue."""
    code = (
        "import sys, stopkit; "
        "bad = [m for m in ('aiohttp', 'tenacity', 'stopkit_venues', 'nacl', 'aiolimiter') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_venues_use_only_the_public_plugin_api() -> None:
    """Built-in venues import stopkit only through stopkit.plugin (simulators also stopkit.testing), like a plugin."""
    allowed = {"stopkit.plugin"}
    for path in (ROOT / "venues").rglob("*.py"):
        extra = {"stopkit.testing", "stopkit.testing.simkit"} if path.name == "simulator.py" else set()
        used = {m for m in _imports(path) if m == "stopkit" or m.startswith("stopkit.")}
        assert used <= allowed | extra, f"{path} imports {sorted(used - allowed - extra)}"


def test_a_bots_own_venues_module_breaks_nothing(tmp_path: Path) -> None:
    """A bot with its own venues.py (or venues/ package) beside its script still gets every built-in venue:
    they are installed as stopkit_venues, and nothing imports a top-level venues."""
    (tmp_path / "venues.py").write_text("raise ImportError('the bot's own venues module was imported')\n")
    code = (
        "import stopkit; "
        "names = stopkit.available_venues(); "
        "assert {'pacifica', 'aries', 'b2trader'} <= set(names), names; "
        "[stopkit.get_venue(n) for n in ('pacifica', 'aries', 'b2trader')]; "
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_no_module_imports_a_top_level_venues_package() -> None:
    """Every import of a built-in venue goes through stopkit_venues (the installed name), never venues."""
    root = Path(__file__).resolve().parents[2]
    offenders = [
        f"{path.relative_to(root)}: {module}"
        for folder in ("stopkit", "venues", "tests", "examples", "benchmarks")
        for path in (root / folder).rglob("*.py")
        for module in _imports(path)
        if module == "venues" or module.startswith("venues.")
    ]
    assert offenders == []


def test_the_repository_stands_alone() -> None:
    """No doc, comment or message points outside the repository (../shared) or at internal section numbers."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in {".py", ".md", ".toml", ".txt", ".yaml", ".json"} or ".git" in path.parts:
            continue
        if any(part.startswith(".") or part in {"build", "dist"} or part.endswith(".egg-info") for part in path.parts):
            continue
        text = path.read_text(errors="replace")
        for marker in ("../shared", "sheet §", "ARCHITECTURE §"):
            if marker in text and path.name != "test_layering.py":
                offenders.append(f"{path.relative_to(root)}: {marker}")
    assert offenders == []
