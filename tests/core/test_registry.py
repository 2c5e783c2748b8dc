"""Entry-point discovery, validation of plugins, and isolation of broken ones."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest
from conftest import FakeAdapter

from stopkit import PluginError, registry


def test_builtin_venues_are_discovered_through_entry_points() -> None:
    """The three built-in venues are registered via the stopkit.venues group and load."""
    names = registry.available_venues()
    assert {"pacifica", "aries", "b2trader"} <= set(names)
    eps = registry._entry_points()
    for name in ("pacifica", "aries", "b2trader"):
        assert eps[name].value == f"stopkit_venues.{name}:VENUE"
        assert registry.get_venue(name).name == name


def _fake_eps(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    eps = {name: EntryPoint(name=name, value=value, group=registry.ENTRY_POINT_GROUP) for name, value in values.items()}
    monkeypatch.setattr(registry, "_entry_points", lambda: eps)
    monkeypatch.setattr(registry, "_loaded", {})


def test_broken_plugin_fails_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plugin whose import fails raises PluginError naming it; others still load."""
    _fake_eps(monkeypatch, broken="no_such_module_xyz:VENUE", good="stopkit_venues.pacifica:VENUE")
    with pytest.raises(PluginError) as info:
        registry.get_venue("broken")
    assert info.value.plugin == "broken"
    assert "broken" in str(info.value)
    # "good" loads but names itself "pacifica": refused too, while the real name works.
    with pytest.raises(PluginError, match="names itself"):
        registry.get_venue("good")
    _fake_eps(monkeypatch, broken="no_such_module_xyz:VENUE", pacifica="stopkit_venues.pacifica:VENUE")
    assert registry.get_venue("pacifica").name == "pacifica"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("stopkit.orders:Side", "not a stopkit VenueAdapter"),
        ("stopkit.venue:VenueAdapter", "registers the class"),
        ("stopkit_venues.aries:VENUE", "names itself 'aries'"),
    ],
)
def test_invalid_plugins(monkeypatch: pytest.MonkeyPatch, value: str, message: str) -> None:
    """A non-adapter, a class instead of an instance, or a name mismatch is a PluginError."""
    _fake_eps(monkeypatch, weird=value)
    with pytest.raises(PluginError, match=message) as info:
        registry.get_venue("weird")
    assert info.value.plugin == "weird"


def test_unknown_venue(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unknown name lists what is installed."""
    with pytest.raises(PluginError, match=r"installed venues: .*pacifica"):
        registry.get_venue("nope")


def test_disable_autoload_and_register(monkeypatch: pytest.MonkeyPatch, fake_adapter: FakeAdapter) -> None:
    """With discovery disabled only registered adapters exist; register/unregister work."""
    monkeypatch.setenv(registry.DISABLE_ENV, "1")
    monkeypatch.setattr(registry, "_loaded", {})
    assert registry.available_venues() == []
    registry.register(fake_adapter)
    try:
        assert registry.available_venues() == ["fakevenue"]
        assert registry.get_venue("fakevenue") is fake_adapter
    finally:
        registry.unregister("fakevenue")
    assert registry.available_venues() == []
    with pytest.raises(PluginError):
        registry.register(object())  # type: ignore[arg-type]


def test_builtin_venues_load_by_name_without_the_entry_point_scan() -> None:
    """The built-in names are exactly stopkit's own entry points; by name they load without importlib.metadata."""
    import subprocess
    import sys

    own = {name for name, ep in registry._entry_points().items() if ep.value.startswith("stopkit_venues.")}
    assert own == set(registry.BUILTIN_VENUES)
    code = (
        "import sys, stopkit\n"
        "names = [stopkit.get_venue(n).name for n in ('pacifica', 'aries', 'b2trader')]\n"
        "print(names, 'importlib.metadata' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "['pacifica', 'aries', 'b2trader'] False"
