"""Heavy steps take turns: one per loop iteration, in arrival order, and a cancelled one never
keeps the others waiting."""

from __future__ import annotations

import asyncio

from tikmatrixd.ui.turns import Turns


class Ticker:
    """Counts loop iterations: a callback that schedules itself again runs once per iteration."""

    def __init__(self) -> None:
        self.now = 0
        self._loop = asyncio.get_running_loop()
        self._handle = self._loop.call_soon(self._tick)

    def _tick(self) -> None:
        self.now += 1
        self._handle = self._loop.call_soon(self._tick)

    def stop(self) -> None:
        self._handle.cancel()


async def test_holders_run_one_per_iteration_in_arrival_order():
    turns, ticker, ran = Turns(), Ticker(), []

    async def heavy(name: str) -> None:
        async with turns:
            ran.append((name, ticker.now))

    await asyncio.gather(*(heavy(name) for name in "abcde"))
    ticker.stop()

    assert [name for name, _ in ran] == list("abcde")
    iterations = [tick for _, tick in ran]
    assert len(set(iterations)) == 5  # never two in one iteration


async def test_a_waiter_cancelled_before_or_after_being_handed_the_turn_passes_it_on():
    turns, ran = Turns(), []
    release = asyncio.Event()
    waiting: list[asyncio.Task[None]] = []

    async def holder() -> None:
        async with turns:
            await release.wait()
        waiting[1].cancel()  # it was just handed the turn; its task has not run yet

    async def heavy(name: str) -> None:
        async with turns:
            ran.append(name)

    first = asyncio.create_task(holder())
    await asyncio.sleep(0)
    waiting += [asyncio.create_task(heavy(name)) for name in ("cancelled early", "cancelled when handed", "last")]
    await asyncio.sleep(0)
    waiting[0].cancel()
    release.set()
    await first
    await asyncio.wait_for(waiting[2], 1)

    assert ran == ["last"]
    assert waiting[0].cancelled() and waiting[1].cancelled()
    await asyncio.sleep(0)
    async with turns:  # and the turn is free again
        pass
