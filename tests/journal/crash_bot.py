"""The bot of the crash test, run as a separate process (``python tests/journal/crash_bot.py PLAN``).

PLAN is one JSON object: ``venues`` (a list of ``{"name", "base_url", "credentials", "config",
"indices"}``), ``journal`` (URL), ``tag`` (the run's order family), optional ``budget`` (Redis URL)
with ``rate_limit`` (``[capacity, window_s]``), and optional ``crash``
(``{"venue", "index", "point"}``). The bot connects to each venue in turn with the journal,
calls ``recover()``, then places its orders one at a time. At the crash point it prints
``CRASH <point>`` and waits: the supervisor then ``kill -9``s it. Points:

- ``intent``: the intent is claimed, the sent mark not yet written;
- ``before_send``: marked sent, the request not yet handed to the transport;
- ``in_flight``: the request is being sent, its answer not awaited;
- ``before_answer``: the venue answered, the client has not read the answer;
- ``after_answer``: ``place`` returned (the outcome is recorded).

Each result is printed as one JSON line; ``DONE`` at the end.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from journal_rig import VENUES

import stopkit
from stopkit.outcomes import PendingWrite
from stopkit.ratelimit import RateLimit
from stopkit.transport import AiohttpTransport
from stopkit.wire import HttpRequest, HttpResponse


class Crash:
    """Where this run stops, and whether the current placement is the one."""

    def __init__(self, plan: dict[str, Any] | None) -> None:
        self.plan = plan
        self.armed = False

    def at(self, venue: str, index: int) -> None:
        """Arm when ``index`` of ``venue`` is the planned placement."""
        self.armed = self.plan is not None and (self.plan["venue"], self.plan["index"]) == (venue, index)

    async def point(self, name: str) -> None:
        """Stop here (announce, then wait for the kill) when armed for ``name``."""
        if self.armed and self.plan is not None and self.plan["point"] == name:
            print(f"CRASH {name}", flush=True)
            await asyncio.sleep(3600)


class CrashTransport(AiohttpTransport):
    """The real transport with the crash points around the armed placement's request."""

    def __init__(self, venue: str, crash: Crash) -> None:
        super().__init__(venue=venue)
        self.crash = crash

    async def send(self, request: HttpRequest, *, timeout_s: float) -> HttpResponse:
        if not self.crash.armed or request.method == "GET" or "token" in request.url:
            return await super().send(request, timeout_s=timeout_s)
        await self.crash.point("before_send")
        sending = asyncio.ensure_future(super().send(request, timeout_s=timeout_s))
        if self.crash.plan is not None and self.crash.plan["point"] == "in_flight":
            await asyncio.wait({sending}, timeout=0.002)
            await self.crash.point("in_flight")
        response = await sending
        await self.crash.point("before_answer")
        return response


async def run(plan: dict[str, Any]) -> None:
    crash = Crash(plan.get("crash"))
    for spec in plan["venues"]:
        venue = VENUES[spec["name"]]
        kwargs: dict[str, Any] = {}
        if plan.get("budget"):
            capacity, window_s = plan["rate_limit"]
            kwargs["budget"] = plan["budget"]
            kwargs["rate_limit"] = RateLimit(capacity=capacity, window_s=window_s)
        elif plan.get("rate_limit"):
            capacity, window_s = plan["rate_limit"]
            kwargs["rate_limit"] = RateLimit(capacity=capacity, window_s=window_s)
        client = stopkit.connect(
            venue.name,
            credentials=spec["credentials"],
            config=spec["config"],
            transport=CrashTransport(venue.name, crash),
            journal=plan["journal"],
            retry=stopkit.RetryPolicy(
                max_attempts=plan.get("attempts", 3), timeout_s=5, total_timeout_s=20, backoff_initial_s=0.01
            ),
            claim_wait_s=60,
            **kwargs,
        )
        async with client:
            binding = client.journal
            assert binding is not None
            mark_sent = binding.mark_sent

            async def marked(client: stopkit.VenueClient, record: PendingWrite, mark_sent: Any = mark_sent) -> None:
                await crash.point("intent")
                await mark_sent(client, record)

            binding.mark_sent = marked  # type: ignore[method-assign]
            recovered = await client.recover()
            print(json.dumps({"venue": venue.name, "recovered": [e.status.value for e in recovered]}), flush=True)
            if plan.get("wait_go"):  # start together with the other bots: READY, then wait for GO
                print("READY", flush=True)
                await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
            for index in spec["indices"]:
                order = venue.order(index, plan["tag"])
                crash.at(venue.name, index)
                line: dict[str, Any] = {"venue": venue.name, "index": index}
                try:
                    state = await client.place(order)
                except stopkit.StopkitError as exc:
                    line.update(result="error", error=type(exc).__name__, outcome_known=exc.outcome_known)
                else:
                    line.update(result="placed", venue_order_id=state.venue_order_id)
                    await crash.point("after_answer")
                crash.armed = False
                print(json.dumps(line), flush=True)
    print("DONE", flush=True)


if __name__ == "__main__":
    asyncio.run(run(json.loads(sys.argv[1])))
