"""stopkit's built-in venue adapters: ``pacifica``, ``aries``, ``b2trader``.

Each venue is a package with the same files (constants, mapping, translate,
parse, simulator, ...) and registers ``VENUE`` under the ``stopkit.venues``
entry-point group in stopkit's ``pyproject.toml``, exactly as a third-party
plugin would, importing only from ``stopkit.plugin`` (simulators also from
``stopkit.testing``). Everything here except ``simulator.py`` is
pure: no ``await``, no sockets, no clock, no environment.
"""
