"""The shell session's protocol fed byte by byte, for the orders of events a live test cannot force."""

from __future__ import annotations

import asyncio
import re

from tikmatrixd.adb import device


class Recorder(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written.append(bytes(data))

    def close(self) -> None:
        self.closed = True


async def test_the_shell_s_okay_after_the_waiting_call_was_cancelled_is_no_error() -> None:
    """A call cancelled while the shell opens cancels the future it waited on; the adb server's
    OKAY for the shell may still arrive before the connection is closed."""
    session = device._ShellSession("serial-1")
    transport = Recorder()
    session.connection_made(transport)
    session.data_received(b"OKAY")  # the device is there: the shell is asked for
    assert transport.written == [b"0017host:transport:serial-1", b"000dshell,v2,raw:"]
    session.ready.cancel()
    session.data_received(b"OKAY")  # before the fix: InvalidStateError, and the loop killed the connection
    assert not transport.closed


async def test_an_answer_split_anywhere_is_read_whole() -> None:
    session = device._ShellSession("serial-1")
    transport = Recorder()
    session.connection_made(transport)
    session.data_received(b"OKAYOKAY")
    await session.ready
    run = asyncio.ensure_future(session.run("echo hi"))
    await asyncio.sleep(0)
    [marker] = re.findall(rb"echo (TMX[0-9a-f]+)\$\?", transport.written[-1])
    out = b"hi\n" + marker + b"0\n"
    err = marker + b"\n"
    stream = (b"\x01" + len(out).to_bytes(4, "little") + out) + (b"\x02" + len(err).to_bytes(4, "little") + err)
    for byte in range(len(stream)):
        session.data_received(stream[byte:byte + 1])
    assert await run == device.ShellResult(b"hi\n", b"", 0)
