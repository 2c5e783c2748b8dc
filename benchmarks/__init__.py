"""stopkit's performance harness (issue 7): ``python -m benchmarks [--quick] [--only NAME] [--json PATH]``.

Every scenario is measured next to its reference in the same run (interleaved
repeats) and reported as median, spread (IQR) and ratio. Not part of the test
run: nothing here is collected by pytest (``testpaths = ["tests"]``).

Scenarios (modules):

- :mod:`benchmarks.build_sign`: one signed Pacifica stop-limit request, stopkit vs
  CCXT's offline ``create_order_request`` vs the floor (canonical JSON + Ed25519 + base58).
- :mod:`benchmarks.throughput`: 2,000 placements at concurrency 64 through
  ``VenueClient.place`` vs bare aiohttp posting pre-built bodies, against the Pacifica
  simulator served on 127.0.0.1 in a separate process (:mod:`benchmarks._server`).
- :mod:`benchmarks.imports`: import times in fresh interpreters (start-up subtracted).
- :mod:`benchmarks.memory`: traced memory per in-flight placement at concurrency 1,000.
- :mod:`benchmarks.cassette`: vcrpy replay vs a live loopback request, per request.
- :mod:`benchmarks.model`: ``StopLimitOrder(...)`` construction + validation.

:mod:`benchmarks.profiling` runs pyinstrument over the build+sign and place paths.
"""
