"""Venue discovery through the ``stopkit.venues`` entry-point group.

Built-in venues are registered through the same group in stopkit's own
``pyproject.toml``, so discovery is exercised on every install (:func:`available_venues`);
looked up by name they load straight from ``stopkit_venues`` (no entry-point scan). Plugins load
lazily, by name, on first use; a plugin that fails to import or is not a valid
adapter raises :class:`~stopkit.errors.PluginError` naming it, and never breaks
the other venues.

Set ``STOPKIT_DISABLE_PLUGIN_AUTOLOAD=1`` to skip entry-point discovery (only
venues added with :func:`register` are then known).
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING

from stopkit.errors import PluginError
from stopkit.venue import Capabilities, VenueAdapter

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

__all__ = ["ENTRY_POINT_GROUP", "available_venues", "get_venue", "register", "unregister"]

ENTRY_POINT_GROUP = "stopkit.venues"
BUILTIN_VENUES = frozenset({"pacifica", "aries", "b2trader"})
"""The venues stopkit ships (package ``stopkit_venues``); the names are theirs, whatever else is installed."""
DISABLE_ENV = "STOPKIT_DISABLE_PLUGIN_AUTOLOAD"

_loaded: dict[str, VenueAdapter] = {}
_registered: dict[str, VenueAdapter] = {}


def _entry_points() -> dict[str, EntryPoint]:
    if os.environ.get(DISABLE_ENV):
        return {}
    from importlib.metadata import entry_points  # ~25 ms of imports: only when venues are looked up

    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep)
    return found


def available_venues() -> list[str]:
    """Sorted names of every registered venue (entry points and :func:`register`), without loading them."""
    return sorted(set(_entry_points()) | set(_registered))


def validate_adapter(obj: object, *, name: str) -> VenueAdapter:
    """Return ``obj`` when it is a valid adapter registered as ``name``.

    Raises:
        PluginError: ``obj`` is not a :class:`VenueAdapter` instance, its ``name``
            differs from ``name``, or it lacks capabilities, title or doc URL.
    """
    if isinstance(obj, type) and issubclass(obj, VenueAdapter):
        raise PluginError(
            f"venue plugin {name!r} registers the class {obj.__name__}; register an instance", plugin=name
        )
    if not isinstance(obj, VenueAdapter):
        raise PluginError(
            f"venue plugin {name!r} is not a stopkit VenueAdapter (got {type(obj).__name__})", plugin=name
        )
    if getattr(obj, "name", None) != name:
        raise PluginError(
            f"venue plugin {name!r} names itself {getattr(obj, 'name', None)!r}; the names must match", plugin=name
        )
    if not isinstance(getattr(obj, "capabilities", None), Capabilities):
        raise PluginError(f"venue plugin {name!r} declares no Capabilities", plugin=name)
    for attribute in ("title", "doc_url"):
        if not isinstance(getattr(obj, attribute, None), str):
            raise PluginError(f"venue plugin {name!r} lacks the string attribute {attribute!r}", plugin=name)
    return obj


def get_venue(name: str) -> VenueAdapter:
    """The adapter registered as ``name``, loaded on first use.

    Raises:
        PluginError: no venue has that name, or its plugin is broken.
    """
    if name in _registered:
        return _registered[name]
    if name in _loaded:
        return _loaded[name]
    if name in BUILTIN_VENUES and not os.environ.get(DISABLE_ENV):
        # stopkit's own venues, registered in its own pyproject.toml as stopkit_venues.<name>:VENUE: loaded
        # without reading every installed distribution's entry points (importlib.metadata, ~8 ms).
        try:
            obj = getattr(importlib.import_module(f"stopkit_venues.{name}"), "VENUE", None)
        except ImportError:
            obj = None  # an install without them: look through the entry points as for any plugin
        if obj is not None:
            adapter = validate_adapter(obj, name=name)
            _loaded[name] = adapter
            return adapter
    eps = _entry_points()
    ep = eps.get(name)
    if ep is None:
        known = ", ".join(available_venues()) or "none"
        raise PluginError(f"unknown venue {name!r}; installed venues: {known}", plugin=name)
    try:
        obj = ep.load()
    except Exception as exc:  # a broken plugin must not take stopkit down
        raise PluginError(
            f"venue plugin {name!r} ({ep.value}) failed to load: {type(exc).__name__}: {exc}", plugin=name
        ) from exc
    adapter = validate_adapter(obj, name=name)
    _loaded[name] = adapter
    return adapter


def register(adapter: VenueAdapter) -> None:
    """Register ``adapter`` under its own name, in this process (tests, notebooks).

    Raises:
        PluginError: ``adapter`` is not valid.
    """
    validate_adapter(adapter, name=getattr(adapter, "name", "?"))
    _registered[adapter.name] = adapter


def unregister(name: str) -> None:
    """Forget a venue added with :func:`register` (entry points are untouched)."""
    _registered.pop(name, None)
