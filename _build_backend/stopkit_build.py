"""stopkit's build backend: setuptools, with editable installs that type checkers can see.

setuptools' default editable install of this layout puts an import hook (a ``MetaPathFinder``)
into site-packages; mypy and pyright do not run import hooks, so ``import stopkit`` in a bot
outside this checkout would be "module not found" for them. ``editable_mode=strict`` writes a
plain path entry instead (a ``.pth`` line naming ``build/__editable__.stopkit-*``, a tree of
links to the sources), which every type checker follows, and which honours package-directory
mappings. Edits to existing files show at once; a newly added module shows after
``pip install -e .`` again (inside the checkout, ``python -m ...`` finds it anyway). Pass
``--config-settings editable_mode=lenient`` to get setuptools' default. Everything else is
setuptools' own ``build_meta``.
"""

from __future__ import annotations

from typing import Any

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403  # the whole PEP 517/660 interface, unchanged

__all__ = [name for name in dir(_setuptools) if name.startswith(("build_", "get_requires_", "prepare_"))]


def _strict(config_settings: dict[str, Any] | None) -> dict[str, Any]:
    settings = dict(config_settings or {})
    if "editable_mode" not in settings and "editable-mode" not in settings:
        settings["editable_mode"] = "strict"
    return settings


def build_editable(
    wheel_directory: str, config_settings: dict[str, Any] | None = None, metadata_directory: str | None = None
) -> str:
    """PEP 660: an editable wheel whose ``.pth`` holds a path entry (``editable_mode=strict``)."""
    return str(_setuptools.build_editable(wheel_directory, _strict(config_settings), metadata_directory))


def get_requires_for_build_editable(config_settings: dict[str, Any] | None = None) -> list[str]:
    """PEP 660: what building the editable wheel needs."""
    return list(_setuptools.get_requires_for_build_editable(_strict(config_settings)))


def prepare_metadata_for_build_editable(
    metadata_directory: str, config_settings: dict[str, Any] | None = None
) -> str:
    """PEP 660: the editable wheel's metadata."""
    return str(_setuptools.prepare_metadata_for_build_editable(metadata_directory, _strict(config_settings)))
