"""stopkit's performance harness (issue 7): ``python -m benchmarks [--quick] [--only NAME] [--json PATH]``.

Every scenario is measured next to its reference in the same run (interleaved
repeats) and reported as median, spread (IQR) and ratio. Not part of the test
run: nothing here is collected by pytest (``testpaths = ["tests"]``).

Scenarios (modules):

- :mod:`benchmarks.build_sign`: one signed Pacifica stop-limit request, stopkit vs
  CCXT's offline ``create_order_request`` vs the floor (canonical JSON + Ed25519 + base58).
- :mod:`benchmarks.place`: one Pacifica stop-limit placement end to end, ``VenueClient.place``
  (every default kept) vs CCXT async ``create_order`` vs bare aiohttp posting pre-built bodies,
  client CPU per order and orders/s at concurrency 1 and 16, against a stand-in server in another
  process.
- :mod:`benchmarks.scaling`: memory and client CPU per placement from 1 to 1,000 concurrent
  callers, and ``watch_orders`` CPU per event as the known orders grow to 100,000.
- :mod:`benchmarks.throughput`: 2,000 placements at concurrency 64 through
  ``VenueClient.place`` vs bare aiohttp posting pre-built bodies, against the Pacifica
  simulator served on 127.0.0.1 in a separate process (:mod:`benchmarks._server`).
- :mod:`benchmarks.imports`: import times in fresh interpreters (start-up subtracted).
- :mod:`benchmarks.memory`: traced memory per in-flight placement at concurrency 1,000.
- :mod:`benchmarks.cassette`: vcrpy replay vs a live loopback request, per request.
- :mod:`benchmarks.model`: ``StopLimitOrder(...)`` construction + validation.

:mod:`benchmarks.profiling` runs pyinstrument over the build+sign and place paths.
"""
