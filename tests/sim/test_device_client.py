"""The daemon's own adb client (tikmatrixd.adb.device) against the real adb server and a simulated phone."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import os
import socket
import time

import pytest

from tikmatrixd.adb import device as adb_device
from tikmatrixd.adb import host
from tikmatrixd.adb.device import Adb, AdbError, AdbTimeout, DeviceGone


def client(adb_server, device, call_timeout: float = 10.0):
    return Adb(call_timeout).device(f"127.0.0.1:{adb_server.port}", device.serial)


def open_streams(device) -> int:
    return sum(len(conn.streams) for conn in device.connections)


async def no_stream_left(device) -> bool:
    """The adb server forwards a client's close to the phone: wait (briefly) until it has."""
    for _ in range(100):
        if open_streams(device) == 0:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_shell_arguments_arrive_verbatim_with_exit_code_and_streams(adb_server, device):
    adb = client(adb_server, device)
    result = await adb.shell(["echo", "a b", "it's", "$HOME;", "`x`"])
    assert (result.text, result.err, result.code) == ("a b it's $HOME; `x`\n", b"", 0)
    failed = await adb.shell_script("ls /nope; echo after")
    assert (failed.text, failed.err, failed.code) == ("after\n", b"ls: /nope: No such file or directory\n", 0)
    missing = await adb.shell(["frobnicate"])
    assert missing.code == 127 and b"frobnicate: not found" in missing.err
    assert device.state.commands[0].command == "echo 'a b' 'it'\"'\"'s' '$HOME;' '`x`'"


async def test_calls_are_counted_per_task_run(adb_server, device, tmp_path):
    adb = client(adb_server, device)
    source = tmp_path / "clip.mp4"
    source.write_bytes(b"x" * 10)
    counter: collections.Counter[str] = collections.Counter()
    token = adb_device.calls.set(counter)
    try:
        await adb.shell(["true"])
        await adb.installed("com.zhiliaoapp.musically")
        await adb.push(str(source), "/sdcard/clip.mp4")
    finally:
        adb_device.calls.reset(token)
    assert counter == {"shell": 2, "push": 1}


async def test_push_keeps_every_byte(adb_server, device, tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 12345)  # several read blocks and a partial sync chunk
    source = tmp_path / "clip.mp4"
    source.write_bytes(data)
    await client(adb_server, device).push(str(source), "/sdcard/Download/clip.mp4")
    pushed = device.storage.read("/sdcard/Download/clip.mp4")
    assert hashlib.sha256(pushed).hexdigest() == hashlib.sha256(data).hexdigest()


async def test_push_errors_are_not_a_gone_device(adb_server, device, tmp_path):
    adb = client(adb_server, device)
    with pytest.raises(AdbError) as missing_local:
        await adb.push(str(tmp_path / "absent.mp4"), "/sdcard/x.mp4")
    assert not isinstance(missing_local.value, DeviceGone)
    assert "absent.mp4" in str(missing_local.value)
    source = tmp_path / "clip.mp4"
    source.write_bytes(b"video")
    with pytest.raises(AdbError, match="Read-only file system") as refused:
        await adb.push(str(source), "/system/clip.mp4")
    assert not isinstance(refused.value, DeviceGone)
    assert (await adb.shell(["echo", "still here"])).text == "still here\n"


async def test_timeout_closes_the_call_on_the_phone(adb_server, device):
    adb = client(adb_server, device, call_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(AdbTimeout, match="timed out after 0.5 s"):
        await adb.shell(["sleep", "30"])
    assert time.monotonic() - started < 5
    assert await no_stream_left(device)
    assert (await adb.shell(["echo", "ok"])).text == "ok\n"


async def test_a_cancelled_call_closes_its_stream(adb_server, device):
    adb = client(adb_server, device)
    call = asyncio.create_task(adb.shell(["sleep", "30"]))
    for _ in range(100):
        if open_streams(device):
            break
        await asyncio.sleep(0.02)
    assert open_streams(device) == 1
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert await no_stream_left(device)


async def test_unknown_device_and_unreachable_server_are_gone(adb_server, device):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(DeviceGone, match="not found"):
        await Adb(5).device(f"127.0.0.1:{adb_server.port}", "127.0.0.1:1").shell(["true"])
    with pytest.raises(DeviceGone, match="unreachable"):
        await Adb(5).device(f"127.0.0.1:{closed_port}", device.serial).shell(["true"])


async def test_a_phone_that_drops_mid_call_is_gone(adb_server, device):
    adb = client(adb_server, device)
    device.faults.drop_next = 1
    with pytest.raises(DeviceGone):
        await adb.shell(["echo", "x"])


SESSION_CALLS = [
    ["echo", "a b", "it's", "$HOME;", "`x`", "#not a comment"],
    ["echo", "-n", "no newline at the end"],
    ["echo", "two\nlines in one argument"],
    ["echo", "x" * 10_000],  # a command line longer than one stdin packet
    ["ls", "/nope"],  # stderr, status 1
    ["frobnicate"],  # status 127
    ["cat", "/sdcard/blob.bin"],  # binary output
]


async def test_a_session_answers_each_call_as_a_call_of_its_own_would(adb_server, device):
    adb = client(adb_server, device)
    device.storage.write("/sdcard/blob.bin", bytes(range(256)) * 40)
    alone = [await adb.shell(argv) for argv in SESSION_CALLS]
    async with adb.session():
        together = [await adb.shell(argv) for argv in SESSION_CALLS]
        assert open_streams(device) == 1  # one shell served them all, and is still open
        assert (await adb.shell_script("false; echo after $?")).text == "after 1\n"
        assert (await adb.shell_script("echo a; echo b; ")).text == "a\nb\n"  # a trailing ; as sh -c takes it
    assert together == alone
    assert [r.code for r in together] == [0, 0, 0, 0, 1, 127, 0]
    assert together[6].out == bytes(range(256)) * 40 and together[1].text == "no newline at the end"
    assert await no_stream_left(device)


async def test_a_session_call_that_times_out_closes_the_shell_and_the_next_opens_another(adb_server, device):
    adb = client(adb_server, device, call_timeout=0.5)
    async with adb.session():
        assert (await adb.shell(["echo", "first"])).text == "first\n"
        with pytest.raises(AdbTimeout):
            await adb.shell(["sleep", "30"])
        assert await no_stream_left(device)
        assert (await adb.shell(["echo", "ok"])).text == "ok\n"
        assert open_streams(device) == 1
    assert await no_stream_left(device)


async def test_a_cancelled_session_call_closes_its_shell(adb_server, device):
    adb = client(adb_server, device)
    async with adb.session():
        call = asyncio.create_task(adb.shell(["sleep", "30"]))
        for _ in range(100):
            if device.state.commands:
                break
            await asyncio.sleep(0.02)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        assert await no_stream_left(device)


async def test_a_call_made_while_the_session_is_busy_gets_its_own_connection(adb_server, device):
    adb = client(adb_server, device)
    async with adb.session():
        slow = asyncio.create_task(adb.shell(["sleep", "0.5"]))
        await asyncio.sleep(0.1)
        assert (await adb.shell(["echo", "meanwhile"])).text == "meanwhile\n"
        assert (await slow).code == 0
        assert (await adb.shell(["echo", "after"])).text == "after\n"


async def test_a_phone_that_drops_mid_session_is_gone(adb_server, device):
    adb = client(adb_server, device)
    async with adb.session():
        assert (await adb.shell(["echo", "x"])).code == 0
        device.faults.drop_next = 1
        with pytest.raises(DeviceGone):
            await adb.shell(["echo", "y"])


async def test_a_full_unix_socket_backlog_delays_a_call_but_does_not_fail_it(tmp_path):
    """A thousand phones calling at once fill the adb server's listen backlog; on a Unix socket
    connect() then answers EAGAIN ("try again"), which asyncio's own connect mistakes for "in
    progress" and hands back an unconnected socket. The call must wait for room instead."""
    path = str(tmp_path / "adb.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen(0)
        queued = []
        with contextlib.ExitStack() as stack:
            while True:  # fill the backlog with connections nobody accepts yet
                filler = stack.enter_context(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
                filler.setblocking(False)
                try:
                    filler.connect(path)
                except BlockingIOError:
                    break
                queued.append(filler)
            call = asyncio.create_task(host.open_stream(f"localfilesystem:{path}"))
            await asyncio.sleep(0.05)
            assert not call.done()  # waiting for room, not failed
            server.setblocking(False)
            for _ in queued:
                server.accept()[0].close()
            reader, writer = await asyncio.wait_for(call, 5)
            accepted, _ = await asyncio.get_running_loop().sock_accept(server)
            with accepted:
                writer.write(b"000chost:version")
                await writer.drain()
                assert accepted.recv(100) == b"000chost:version"
            writer.close()


async def test_a_session_lost_while_idle_is_opened_again_for_the_next_call(adb_server, device):
    adb = client(adb_server, device, call_timeout=5)
    async with adb.session():
        assert (await adb.shell(["echo", "one"])).text == "one\n"
        [shell] = [stream for conn in device.connections for stream in conn.streams.values()]
        await shell.close()  # the phone's end goes away between two calls
        assert await no_stream_left(device)
        await asyncio.sleep(1.0)  # (long before the next call, as when a phone reconnects between tasks)
        started = time.monotonic()
        assert (await adb.shell(["echo", "two"])).text == "two\n"
        assert time.monotonic() - started < 2  # at once, not after the call's timeout


async def test_a_line_sh_cannot_parse_ends_the_session_with_sh_s_message(adb_server, device):
    adb = client(adb_server, device)
    alone = await adb.shell_script("echo a &&")  # sh -c: status 2 and the message
    assert alone.code == 2 and b"syntax error" in alone.err
    async with adb.session():
        assert (await adb.shell(["echo", "first"])).text == "first\n"
        with pytest.raises(AdbError, match="shell ended: .*syntax error"):
            await adb.shell_script("echo a &&")  # a non-interactive sh reading its stdin exits
        assert await no_stream_left(device)
        assert (await adb.shell(["echo", "next"])).text == "next\n"  # in a new shell

