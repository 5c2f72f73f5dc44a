"""Test helpers: a private real adb server and a farm of simulated phones connected to it.

Public API (small on purpose; other suites import it)::

    from tikmatrixd.sim.testing import AdbServer, SimFarm

    server = AdbServer.start()          # `adb -P <free port> nodaemon server`, private HOME
    server.address                      # "127.0.0.1:<port>", for tikmatrixd's config
    AdbServer.start(unix=True)          # on a Unix socket: address "localfilesystem:<path>"
    server.port, server.env             # env has ANDROID_ADB_SERVER_PORT and HOME set
    server.adb("devices", "-l")         # run the adb CLI (blocking) -> CompletedProcess
    await server.aadb("shell", "id")    # same from inside the loop serving the sims -> (rc, out, err)
    server.client()                     # adbutils.AdbClient bound to it
    server.stop()                       # kills the server by pid (never touches 5037)

    async with SimFarm(5, adb_server=server, language="fr") as farm:
        dev = farm[0]                   # SimDevice: dev.serial ("127.0.0.1:PORT"), dev.state,
                                        # dev.faults, dev.snapshot(), dev.go_offline(), ...
        farm.serials                    # every device is `device` in the server here

``SimFarm(n, adb_server=None)`` only starts the devices (no adb registration).
Keyword arguments are :class:`tikmatrixd.sim.farm.Farm`'s (seed, language,
languages, realistic, accounts_per_app, base_port).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time
from typing import Any

from tikmatrixd.sim.farm import Farm

ADB = shutil.which("adb") or "/usr/bin/adb"
#: A cold adb server is up in ~50 ms; allow a slow CI box.
SERVER_START_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    if 5037 <= port <= 5585:  # never the user's server, never the emulator probe range
        return free_port()
    return port


def free_port_run(count: int) -> int:
    """A base port with ``count`` consecutive ports free now (above adb's 5555-5585)."""
    for base in range(free_port() % 20000 + 30000, 65000, 97):
        socks = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                socks.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError("no free port run")


class AdbServer:
    """A real adb server on a private port with a private HOME, owned by this process."""

    def __init__(self, port: int, home: str, process: subprocess.Popen[bytes], unix: bool = False) -> None:
        self.port = port
        self.home = home
        self.process = process
        self.unix = unix

    @classmethod
    def start(cls, port: int | None = None, *, unix: bool = False) -> AdbServer:
        """``unix``: listen on a Unix socket in its HOME (``localfilesystem:PATH``) instead of the port."""
        port = port or free_port()
        if port == 5037:
            raise ValueError("refusing to use the default adb server port 5037")
        home = tempfile.mkdtemp(prefix="tikmatrixd-adb-")
        log = open(os.path.join(home, "adb-server.log"), "wb")
        # Its own session: a Ctrl-C in the terminal reaches the demo, which stops the daemon first and
        # this server last, not the server first (the daemon would warn that it lost it).
        process = subprocess.Popen([ADB, *cls._socket_args(port, home, unix), "nodaemon", "server"],
                                   env=cls._env(port, home), stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        server = cls(port, home, process, unix)
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            try:
                with socket.socket(socket.AF_UNIX if unix else socket.AF_INET) as probe:
                    probe.settimeout(0.2)
                    probe.connect(cls._socket_path(home) if unix else ("127.0.0.1", port))
                    return server
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    server.stop()
                    raise RuntimeError(f"adb server did not start on {server.address}") from None
                time.sleep(0.02)

    @staticmethod
    def _socket_path(home: str) -> str:
        return os.path.join(home, "adb.sock")

    @classmethod
    def _socket_args(cls, port: int, home: str, unix: bool) -> list[str]:
        """How the adb CLI (server and client) names this server's socket."""
        return ["-L", f"localfilesystem:{cls._socket_path(home)}"] if unix else ["-P", str(port)]

    @property
    def _cli_socket(self) -> list[str]:
        return self._socket_args(self.port, self.home, self.unix)

    @staticmethod
    def _env(port: int, home: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(HOME=home, ANDROID_ADB_SERVER_PORT=str(port), ADB_MDNS="0")
        env.pop("ANDROID_SERIAL", None)
        return env

    @property
    def address(self) -> str:
        """What tikmatrixd's ``adb.servers`` and the adb CLI's ``-L`` take."""
        return f"localfilesystem:{self._socket_path(self.home)}" if self.unix else f"127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return self._env(self.port, self.home)

    def adb(self, *args: str, timeout: float = 30.0, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run([ADB, *self._cli_socket, *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL, **kwargs)

    async def aadb(self, *args: str, timeout: float = 30.0, stdin: bytes | None = None) -> tuple[int, bytes, bytes]:
        """The adb CLI without blocking the loop that serves the simulated devices."""
        proc = await asyncio.create_subprocess_exec(
            ADB, *self._cli_socket, *args, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL)
        try:
            out, err = await asyncio.wait_for(proc.communicate(stdin), timeout)
        except BaseException:
            proc.kill()
            await proc.wait()
            raise
        return proc.returncode or 0, out, err

    def client(self) -> Any:
        import adbutils

        return adbutils.AdbClient(host="127.0.0.1", port=self.port)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()  # by pid: only the server we started
            self.process.wait(timeout=10)
        shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> AdbServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SimFarm(Farm):
    """``async with SimFarm(n, adb_server=server) as farm`` — started, connected, `device`."""

    def __init__(self, n: int, *, adb_server: AdbServer | str | None = None, **kwargs: Any) -> None:
        super().__init__(n, **kwargs)
        self._server = adb_server.address if isinstance(adb_server, AdbServer) else adb_server

    async def __aenter__(self) -> SimFarm:
        await self.start()
        try:
            if self._server:
                await self.connect(self._server)
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
