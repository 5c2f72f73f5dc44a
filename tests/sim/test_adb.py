"""The transport against the real adb server: devices -l, shell exit codes, exec, sync."""

from __future__ import annotations

import asyncio
import hashlib
import os

import pytest
from sim_phone import Phone


async def test_devices_l_shows_model_and_product(adb_server, farm_factory):
    farm = await farm_factory(2)
    rc, out, _ = await adb_server.aadb("devices", "-l")
    text = out.decode()
    assert rc == 0
    for dev in farm:
        line = next(line for line in text.splitlines() if line.startswith(dev.serial))
        assert " device " in line
        assert f"model:{dev.state.model.replace(' ', '_')}" in line
        assert f"product:{dev.state.product}" in line


async def test_shell_exit_codes_through_adbutils(adb_server, device):
    phone = Phone(adb_server.client(), device.serial)
    ok = await phone.shell2("echo hello")
    assert (ok.returncode, ok.output) == (0, "hello\n")
    missing = await phone.shell2("frobnicate --now")
    assert missing.returncode == 127
    assert "/system/bin/sh: frobnicate: not found" in missing.output
    v2 = await phone.shell2("ls /nope; exit_status_is 2>/dev/null; echo $?", v2=True)
    assert v2.stdout == "127\n"
    assert v2.stderr == "ls: /nope: No such file or directory\n"
    assert v2.returncode == 0
    chain = await phone.shell2("false && echo no; true && echo 'a b' \"c d\"; echo $?", v2=True)
    assert chain.stdout == "a b c d\n0\n"
    assert (await phone.shell("getprop ro.product.model")).strip() == device.state.model


async def test_shell_exit_codes_through_adb_cli(adb_server, device):
    rc, out, err = await adb_server.aadb("-s", device.serial, "shell", "cat /sdcard/none")
    assert rc == 1 and err == b"cat: /sdcard/none: No such file or directory\n"
    rc, out, _ = await adb_server.aadb("-s", device.serial, "shell", "echo", "$((1))x", ";", "exit_nope")
    assert rc == 127
    rc, out, _ = await adb_server.aadb("-s", device.serial, "exec-out", "echo raw")
    assert (rc, out) == (0, b"raw\n")


async def test_several_streams_at_once(adb_server, device):
    phone = Phone(adb_server.client(), device.serial)
    outs = await asyncio.gather(*(phone.shell(f"echo {i}; sleep 0.05; echo done{i}") for i in range(12)))
    assert outs == [f"{i}\ndone{i}" for i in range(12)]


async def test_push_50mb_keeps_checksum_and_pulls_back(adb_server, device, tmp_path):
    src = tmp_path / "clip.mp4"
    data = os.urandom(50 * 1024 * 1024)
    src.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    rc, out, err = await adb_server.aadb("-s", device.serial, "push", str(src), "/sdcard/Download/", timeout=60)
    assert rc == 0, err
    snapshot = device.snapshot()
    assert snapshot["files"]["/sdcard/Download/clip.mp4"]["sha256"] == digest
    assert device.state.pushed[-1]["sha256"] == digest
    back = tmp_path / "back.mp4"
    rc, _, err = await adb_server.aadb("-s", device.serial, "pull", "/sdcard/Download/clip.mp4", str(back), timeout=60)
    assert rc == 0, err
    assert hashlib.sha256(back.read_bytes()).hexdigest() == digest


async def test_sync_stat_list_and_errors(adb_server, device, tmp_path):
    client = adb_server.client()
    d = client.device(device.serial)
    src = tmp_path / "a.txt"
    src.write_bytes(b"hello")
    await asyncio.to_thread(d.sync.push, str(src), "/sdcard/Pictures/a.txt")
    st = await asyncio.to_thread(d.sync.stat, "/sdcard/Pictures")
    assert st.mode & 0o170000 == 0o040000
    names = [e.path for e in await asyncio.to_thread(d.sync.list, "/sdcard/Pictures")]
    assert "a.txt" in names
    assert await asyncio.to_thread(d.sync.read_bytes, "/sdcard/Pictures/a.txt") == b"hello"
    rc, out, err = await adb_server.aadb("-s", device.serial, "push", str(src), "/system/bin/x")
    assert rc != 0 and b"Read-only file system" in out + err


@pytest.mark.parametrize("cmd,expected", [
    ("input text hello%sworld", "hello world"),
    ("input text 'it'\\''s'", "it's"),
    ("input text a b", "a"),  # input text takes one argument
])
async def test_input_text_escaping(adb_server, device, cmd, expected):
    phone = Phone(adb_server.client(), device.serial)
    await phone.shell("monkey -p com.zhiliaoapp.musically -c android.intent.category.LAUNCHER 1")
    app = device.apps["com.zhiliaoapp.musically"]
    app.on_search("")
    await phone.shell(cmd)
    assert app.fields["search"] == expected


async def test_input_text_refuses_non_ascii(adb_server, device):
    phone = Phone(adb_server.client(), device.serial)
    await phone.shell("monkey -p com.zhiliaoapp.musically 1")
    device.apps["com.zhiliaoapp.musically"].on_search("")
    result = await phone.shell2("input text café", v2=True)
    assert result.returncode != 0
    assert device.apps["com.zhiliaoapp.musically"].fields["search"] == ""


async def test_screencap_is_a_png(adb_server, device):
    rc, out, _ = await adb_server.aadb("-s", device.serial, "exec-out", "screencap -p")
    assert rc == 0 and out.startswith(b"\x89PNG\r\n\x1a\n") and len(out) > 100


async def test_command_log_and_misc_commands(adb_server, device):
    phone = Phone(adb_server.client(), device.serial)
    assert "package:com.instagram.android" in await phone.shell("pm list packages")
    answer = await phone.shell("dumpsys package com.zhiliaoapp.musically | grep versionName")
    assert answer.strip() == "versionName=47.0.3"
    assert await phone.shell("wm size") == "Physical size: 1080x2400"
    assert "com.android.adbkeyboard/.AdbIME" in await phone.shell("ime list -s")
    await phone.shell("mkdir -p /sdcard/x/y && echo hi > /sdcard/x/y/f && cat /sdcard/x/y/f")
    assert await phone.shell("cat /sdcard/x/y/f") == "hi"
    assert await phone.shell("rm /sdcard/x/y/f; ls /sdcard/x/y") == ""
    logged = [c.command for c in device.state.commands]
    assert "wm size" in logged and all(c.at > 0 for c in device.state.commands)
