"""Turns for the event loop's heavy steps: one per loop iteration.

asyncio runs, in each iteration, every callback that became ready since the
last one. Reading a real dump costs the loop a few ms; when many phones'
dumps arrive together, an iteration runs all of them, and every other
phone's network step (an adb server's OKAY, a connect) waits for that whole
batch, four to six times per adb call. With dumps taking turns, an iteration
holds at most one, so the round trips in between are answered within a few
ms; the dumps themselves wait in line, in the order they arrived.
"""

from __future__ import annotations

import asyncio
import collections
import weakref
from types import TracebackType


class Turns:
    """An async context manager: at most one holder per loop iteration, in the order they came.

    A holder that leaves hands the turn straight to the next one waiting,
    whose task runs in the next iteration. With nobody waiting, the turn is
    free again only from the next iteration on: a step that reads a dump
    without awaiting anything would otherwise leave the turn free for the
    next step of the same iteration."""

    def __init__(self) -> None:
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()
        self._held = False

    async def __aenter__(self) -> None:
        if not self._held:
            self._held = True
            return
        turn = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():  # handed the turn, then cancelled: pass it on
                self._hand_on()
            raise

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        traceback: TracebackType | None) -> None:
        self._hand_on()

    def _hand_on(self) -> None:
        if not self._pass_to_next():
            asyncio.get_running_loop().call_soon(self._free)

    def _free(self) -> None:
        if not self._pass_to_next():
            self._held = False

    def _pass_to_next(self) -> bool:
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():  # (a waiter cancelled before its turn is skipped)
                turn.set_result(None)
                return True
        return False


_LOOP_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Turns] = weakref.WeakKeyDictionary()


def dump_turns() -> Turns:
    """The running loop's turns for reading dumps (a loop each: tests run several)."""
    loop = asyncio.get_running_loop()
    turns = _LOOP_TURNS.get(loop)
    if turns is None:
        turns = _LOOP_TURNS[loop] = Turns()
    return turns
