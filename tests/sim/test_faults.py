"""Injected faults as the daemon will meet them: dump errors, popups, offline, unauthorized, drops."""

from __future__ import annotations

import asyncio

import pytest
from sim_phone import Phone

from tikmatrixd.sim import adbhost
from tikmatrixd.sim.state import TIKTOK


async def test_idle_state_error_rate_is_seeded_and_exits_zero(adb_server, device):
    device.faults.idle_error_rate = 0.5
    phone = Phone(adb_server.client(), device.serial)
    results = [await phone.shell2("uiautomator dump /dev/tty", v2=True) for _ in range(40)]
    errors = [r for r in results if r.stdout == "ERROR: could not get idle state.\n"]
    assert 8 < len(errors) < 32
    assert all(r.returncode == 0 for r in results)
    device.faults.idle_error_rate = 0.0
    device.faults.null_root_rate = 1.0
    out = await phone.shell("uiautomator dump /dev/tty")
    assert out == "ERROR: null root node returned by UiTestAutomationBridge."


async def test_popup_rate_interrupts_and_back_dismisses(adb_server, device):
    device.faults.popup_rate = 1.0
    phone = Phone(adb_server.client(), device.serial)
    await phone.shell("monkey -p com.zhiliaoapp.musically 1")
    app = device.apps[TIKTOK]
    assert app.dialog in ("not_now", "update", "permission")
    await phone.shell("input keyevent 4")
    assert app.dialog is None and app.screen == "feed"


async def test_offline_then_back_reconnects(adb_server, device):
    phone = Phone(adb_server.client(), device.serial)
    await device.go_offline()
    await adbhost.wait_for_state(adb_server.address, [device.serial], "offline", timeout=15)
    await device.come_back()
    await adbhost.wait_for_state(adb_server.address, [device.serial], "device", timeout=20)
    assert await phone.shell("echo back") == "back"


async def test_unauthorized_and_healed(adb_server, device):
    await device.set_unauthorized(True)
    await adbhost.wait_for_state(adb_server.address, [device.serial], "unauthorized", timeout=20)
    await device.set_unauthorized(False)
    await adbhost.wait_for_state(adb_server.address, [device.serial], "device", timeout=20)


async def test_connection_dropped_mid_command(adb_server, device):
    phone = Phone(adb_server.client(), device.serial)
    device.faults.drop_next = 1
    with pytest.raises(Exception):  # noqa: B017 (adbutils raises one of several kinds for a lost stream)
        await phone.shell2("echo lost", v2=True)
    assert device.state.commands[-1].command == "echo lost"  # it did run on the phone
    await adbhost.wait_for_state(adb_server.address, [device.serial], "device", timeout=20)
    assert await phone.shell("echo again") == "again"


async def test_realistic_latency_applies_per_command(adb_server, farm_factory):
    farm = await farm_factory(1)
    dev = farm[0]
    dev.faults.latency = {"input": 0.3}
    phone = Phone(adb_server.client(), dev.serial)
    loop = asyncio.get_running_loop()
    start = loop.time()
    await phone.shell("input keyevent 4")
    assert loop.time() - start >= 0.3


async def test_latency_spread_makes_each_call_take_its_own_time_within_the_range(adb_server, farm_factory):
    farm = await farm_factory(2)
    for dev in farm:
        dev.faults.latency, dev.faults.latency_spread = {"input": 0.2}, 0.25
    loop = asyncio.get_running_loop()
    took = []
    for dev in farm:
        phone = Phone(adb_server.client(), dev.serial)
        for _ in range(3):
            start = loop.time()
            await phone.shell("input keyevent 4")
            took.append(loop.time() - start)
    assert all(0.15 <= t < 0.25 + 0.2 for t in took)  # 0.2 s +- 25 %, plus the round trip
    assert len({round(t, 3) for t in took}) > 1  # not in lockstep
    farm[0].faults.latency_spread = 0.0
    assert await farm[0].delay("input") == 0.2
