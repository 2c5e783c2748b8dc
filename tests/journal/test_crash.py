"""The proof: a bot process placing stops on the three simulators is ``kill -9``-ed at every kind
of point (intent recorded, marked sent, request in flight, answer not read, answer read) and
restarted with the same journal; it recovers and re-runs the same orders. Then four such bots
share one Redis journal and one Redis budget.

Tally per venue: every intent is on the venue exactly once, or reported unknown; never two.
Size: ``--crash-orders N`` per venue (default 12), ``--crash-kills K`` per backend (default 5),
``--crash-seed S``. Bounded: every bot run has a deadline, and at most K + 1 runs per backend.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from journal_rig import PACIFICA, VENUES, SimVenue

from stopkit.journal import EntryStatus, open_journal

BOT = Path(__file__).with_name("crash_bot.py")
POINTS = ("intent", "before_send", "in_flight", "before_answer", "after_answer")
RUN_TIMEOUT_S = 120.0


async def run_bot(
    plan: dict[str, Any], *, timeout_s: float = RUN_TIMEOUT_S, start: asyncio.Barrier | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Run the bot with ``plan``; ``kill -9`` it when it reaches its crash point. With ``start``, the bot
    waits after its recovery until every bot of the barrier is ready.

    Returns ``("killed" | "done", result lines)``.
    """
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(BOT),
        json.dumps({**plan, "wait_go": start is not None}),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    lines: list[dict[str, Any]] = []
    outcome = "eof"
    try:
        async with asyncio.timeout(timeout_s):
            async for raw in proc.stdout:
                text = raw.decode().strip()
                if text.startswith("CRASH"):
                    proc.kill()  # SIGKILL: no cleanup runs in the bot
                    outcome = "killed"
                    break
                if text == "READY" and start is not None and proc.stdin is not None:
                    await start.wait()
                    proc.stdin.write(b"GO\n")
                    await proc.stdin.drain()
                    continue
                if text == "DONE":
                    outcome = "done"
                    break
                if text.startswith("{"):
                    lines.append(json.loads(text))
    finally:
        if proc.returncode is None and outcome != "done":
            proc.kill()
        _, stderr = await proc.communicate()
    if outcome == "eof":
        raise AssertionError(
            f"the bot ended without DONE or CRASH (exit {proc.returncode}):\n{stderr.decode()[-3000:]}"
        )
    return outcome, lines


async def start_venues(names: list[str], started: list[Any], **sim_kwargs: Any) -> list[tuple[SimVenue, Any, str]]:
    """Start each venue's simulator (price at the demo's start); ``started`` collects them for stopping."""
    out = []
    for name in names:
        venue = VENUES[name]
        sim = venue.make_sim(**sim_kwargs.get(name, {}))
        base_url = await sim.start()
        started.append(sim)
        scenario = sim.demo_scenario()
        sim.set_price(scenario.symbol, scenario.start_price)
        out.append((venue, sim, base_url))
    return out


async def tally(
    journal_url: str, tag: str, running: list[tuple[SimVenue, Any, str]], orders: int
) -> tuple[list[str], list[str]]:
    """(tally lines, problems): per venue, the venue's book against the journal's entries."""
    lines: list[str] = []
    problems: list[str] = []
    async with open_journal(journal_url) as journal:
        entries = {(e.venue, e.client_order_id): e for e in await journal.entries() if e.operation == "place"}
    for venue, sim, _ in running:
        held = Counter(venue.book(sim))
        intents = [venue.order(i, tag) for i in range(orders)]
        statuses: Counter[str] = Counter()
        landed_unknown = lost = 0
        for order in intents:
            entry = entries.get((venue.name, order.client_order_id))
            count = held.get(venue.identity(order), 0)
            status = entry.status if entry is not None else None
            statuses[status.value if status else "missing"] += 1
            if status is EntryStatus.APPLIED and count != 1:
                problems.append(f"{venue.name}: {order.client_order_id} recorded APPLIED, the venue holds {count}")
            elif status is EntryStatus.UNKNOWN:
                landed_unknown += count
            elif status is not EntryStatus.APPLIED and count:
                problems.append(f"{venue.name}: {order.client_order_id} recorded {status}, the venue holds {count}")
            if count == 0 and status is not EntryStatus.UNKNOWN:
                lost += 1
        duplicates = sum(1 for n in held.values() if n > 1)
        strangers = set(held) - {venue.identity(o) for o in intents}
        if duplicates:
            problems.append(f"{venue.name}: {duplicates} orders are on the venue more than once")
        if lost:
            problems.append(f"{venue.name}: {lost} intents are neither on the venue nor reported unknown")
        if strangers:
            problems.append(f"{venue.name}: orders nobody intended: {sorted(map(str, strangers))[:5]}")
        lines.append(
            f"  {venue.name:<9} intents {orders:>4}  on venue {sum(held.values()):>4}  applied "
            f"{statuses['applied']:>4}  unknown {statuses['unknown']:>3} ({landed_unknown} landed)  "
            f"duplicates {duplicates}  lost {lost}"
        )
    return lines, problems


def _spec(venue: SimVenue, sim: Any, base_url: str, indices: list[int]) -> dict[str, Any]:
    return {
        "name": venue.name,
        "base_url": base_url,
        "credentials": sim.demo_credentials(),
        "config": sim.demo_config(base_url),
        "indices": indices,
    }


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
async def test_crash_kill9_exactly_once(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """kill -9 at random points, restart, recover, re-run: per venue 0 duplicates, 0 lost (placed once or unknown)."""
    orders = int(request.config.getoption("--crash-orders"))
    kills = int(request.config.getoption("--crash-kills"))
    rng = random.Random(int(request.config.getoption("--crash-seed")) + (backend == "redis"))
    journal_url = f"sqlite://{tmp_path / 'orders.db'}" if backend == "sqlite" else request.getfixturevalue("redis_url")
    tag = f"crash-{backend}-{rng.randrange(10**9)}"
    started: list[Any] = []
    try:
        running = await start_venues(list(VENUES), started)
        specs = [_spec(venue, sim, url, list(range(orders))) for venue, sim, url in running]
        slots = sorted(rng.sample([(v, i) for v in range(len(running)) for i in range(orders)], min(kills, orders * 3)))
        plans = [{"venue": running[v][0].name, "index": i, "point": rng.choice(POINTS)} for v, i in slots]
        killed: Counter[str] = Counter()
        for crash in [*plans, None]:
            outcome, _ = await run_bot({"venues": specs, "journal": journal_url, "tag": tag, "crash": crash})
            if crash is not None:
                assert outcome == "killed", f"the bot did not reach its crash point {crash}"
                killed[crash["point"]] += 1
            else:
                assert outcome == "done"
        lines, problems = await tally(journal_url, tag, running, orders)
    finally:
        for sim in started:
            await sim.stop()
    header = f"crash test ({backend}): {orders} orders per venue, {sum(killed.values())} kill -9s {dict(killed)}"
    with capsys.disabled():
        print("\n" + "\n".join([header, *lines]))
    assert not problems, "\n".join(problems)


class CountingPacifica:
    """A Pacifica simulator that counts the requests its rate limit refused (429)."""

    @staticmethod
    def make(**kwargs: Any) -> Any:
        """The simulator, with ``refused`` counting 429 answers."""
        from stopkit_venues.pacifica.simulator import PacificaSimulator

        class Counting(PacificaSimulator):
            refused = 0
            charged = 0

            def _charge(self, request: Any) -> Any:
                answer, headers = super()._charge(request)
                self.charged += 1
                if answer is not None:
                    self.refused += 1
                return answer, headers

        return Counting(**kwargs)


CAPACITY, WINDOW_MS = 40, 2000


async def _four_bots(
    journal_url: str, budget_url: str | None, tag: str, orders: int, rng: random.Random, kills: int, *, shared: bool
) -> tuple[Any, list[str], list[str], Counter[str]]:
    # Four bots on one Pacifica account; the simulator allows CAPACITY credits per WINDOW_MS.
    sim = CountingPacifica.make(credits_per_ip=CAPACITY, rate_window_ms=WINDOW_MS)
    base_url = await sim.start()
    try:
        sim.set_price("BTC", sim.demo_scenario().start_price)
        venue = PACIFICA
        # Bot n starts at its own quarter of the orders; its first placement is its kill point (one per bot).
        starts = [n * orders // 4 for n in range(4)]
        kill_plan: dict[int, list[dict[str, Any]]] = {n: [] for n in range(4)}
        for n in rng.sample(range(4), min(kills, 4)):
            kill_plan[n].append({"venue": "pacifica", "index": starts[n], "point": rng.choice(POINTS)})
        killed: Counter[str] = Counter()
        missed: list[str] = []
        together = asyncio.Barrier(4)  # the first runs start placing at the same moment

        async def bot(number: int) -> None:
            indices = [(starts[number] + k) % orders for k in range(orders)]
            spec = _spec(venue, sim, base_url, indices)
            spec["config"] = {"base_url": base_url}  # the venue's own budget, not the demo's lifted one
            own_tag = tag if shared else f"{tag}-{number}"  # shared: the same stops; else each bot its own
            plan: dict[str, Any] = {"venues": [spec], "journal": journal_url, "tag": own_tag}
            plan["rate_limit"] = [CAPACITY, WINDOW_MS / 1000]
            plan["attempts"] = 3 if shared else 1  # the control does not wait out its 429s
            if budget_url is not None:
                plan["budget"] = budget_url
            for run, crash in enumerate([*kill_plan[number], None]):
                outcome, results = await run_bot({**plan, "crash": crash}, start=together if run == 0 else None)
                if crash is not None and outcome != "killed":
                    missed.append(f"bot {number}: {crash} not reached; first results {results[:3]}")
                if outcome == "killed":
                    killed[crash["point"] if crash else "?"] += 1

        await asyncio.gather(*(bot(n) for n in range(4)))
        if not shared:
            return sim, [], [], killed
        lines, problems = await tally(journal_url, tag, [(venue, sim, base_url)], orders)
        lines.extend(f"    (planned kill not reached: another bot placed that order first) {m}" for m in missed)
        return sim, lines, problems, killed
    finally:
        await sim.stop()


async def test_four_processes_share_journal_and_budget(
    request: pytest.FixtureRequest, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Four bots placing the same stops through one Redis journal and budget (with kill -9s): 0 duplicates, 0 lost,
    and the simulator's rate limit never refused a request."""
    rng = random.Random(int(request.config.getoption("--crash-seed")) + 7)
    orders = max(12, int(request.config.getoption("--crash-orders")))
    kills = min(3, int(request.config.getoption("--crash-kills")))
    sim, lines, problems, killed = await _four_bots(
        redis_url, redis_url, f"four-{rng.randrange(10**9)}", orders, rng, kills, shared=True
    )
    with capsys.disabled():
        print(
            f"\nfour processes, one Redis journal and budget ({CAPACITY} credits / {WINDOW_MS} ms): "
            f"{sum(killed.values())} kill -9s, {sim.charged} requests, {sim.refused} refused by the rate limit"
        )
        print("\n".join(lines))
    assert not problems, "\n".join(problems)
    assert sim.refused == 0
    assert sum(killed.values()) >= 1, "no bot was killed"


async def test_four_private_budgets_exceed_the_limit(
    request: pytest.FixtureRequest, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The control: four bots each with its own in-process budget of the same size are refused by the venue."""
    rng = random.Random(int(request.config.getoption("--crash-seed")) + 8)
    sim, _lines, _problems, _ = await _four_bots(
        redis_url, None, f"private-{rng.randrange(10**9)}", CAPACITY // 2, rng, 0, shared=False
    )
    with capsys.disabled():
        print(f"\nfour private budgets of {CAPACITY} credits / {WINDOW_MS} ms: {sim.refused} of {sim.charged} refused")
    assert sim.refused > 0
