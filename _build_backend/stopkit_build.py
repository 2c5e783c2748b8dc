"""stopkit's build backend: setuptools, with editable installs that type checkers can see.

mypy and pyright do not run import hooks, so an editable install must put a plain path entry
(a ``.pth`` line) into site-packages for ``import stopkit`` in a bot outside this checkout to
type-check. setuptools writes one naming the checkout when every package sits where its name
says (``package-dir = {"" = "."}`` in pyproject.toml); when a package is installed under another
name (a ``package-dir`` mapping), it would use an import hook instead, so this backend then asks
for ``editable_mode=strict``: a path entry naming ``build/__editable__.stopkit-*``, a tree of
links to the sources that honours the mapping (a module added later shows after
``pip install -e .`` again). An explicit ``--config-settings editable_mode=...`` wins.
Everything else is setuptools' own ``build_meta``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403  # the whole PEP 517/660 interface, unchanged

__all__ = [name for name in dir(_setuptools) if name.startswith(("build_", "get_requires_", "prepare_"))]


def _maps_packages() -> bool:
    # True when pyproject.toml installs some package under a name other than its folder's.
    with Path("pyproject.toml").open("rb") as file:
        package_dir = tomllib.load(file).get("tool", {}).get("setuptools", {}).get("package-dir", {})
    return any(name != "" for name in package_dir)


def _settings(config_settings: dict[str, Any] | None) -> dict[str, Any]:
    settings = dict(config_settings or {})
    if "editable_mode" not in settings and "editable-mode" not in settings and _maps_packages():
        settings["editable_mode"] = "strict"
    return settings


def build_editable(
    wheel_directory: str, config_settings: dict[str, Any] | None = None, metadata_directory: str | None = None
) -> str:
    """PEP 660: an editable wheel whose ``.pth`` holds a path entry."""
    return str(_setuptools.build_editable(wheel_directory, _settings(config_settings), metadata_directory))


def get_requires_for_build_editable(config_settings: dict[str, Any] | None = None) -> list[str]:
    """PEP 660: what building the editable wheel needs."""
    return list(_setuptools.get_requires_for_build_editable(_settings(config_settings)))


def prepare_metadata_for_build_editable(metadata_directory: str, config_settings: dict[str, Any] | None = None) -> str:
    """PEP 660: the editable wheel's metadata."""
    return str(_setuptools.prepare_metadata_for_build_editable(metadata_directory, _settings(config_settings)))
