"""The config file: defaults, validation, and the shipped example."""

from __future__ import annotations

from pathlib import Path

import pytest

from tikmatrixd import config

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "c.toml"
    path.write_text(text)
    return str(path)


def test_shipped_example_is_the_defaults():
    shipped = config.load(str(REPO / "config" / "tikmatrixd.toml"))
    assert shipped == config.load(None)


def test_store_path_under_systemd(monkeypatch):
    monkeypatch.setenv("STATE_DIRECTORY", "/var/lib/tikmatrixd")
    assert config.load(None).store.path == "/var/lib/tikmatrixd/tikmatrixd.db"
    monkeypatch.delenv("STATE_DIRECTORY")
    assert config.load(None).store.path == "var/tikmatrixd.db"


def test_overrides_win(tmp_path):
    path = write(tmp_path, '[server]\nport = 1234\nhost = "127.0.0.1"\n')
    loaded = config.load(path, {"server": {"port": 4321, "host": None}})
    assert (loaded.server.port, loaded.server.host) == (4321, "127.0.0.1")


@pytest.mark.parametrize("text, message", [
    ("[server]\nprot = 1\n", "unknown config key server.prot"),
    ("[serv]\nport = 1\n", "unknown config key serv"),
    ('[server]\nport = "80"\n', "server.port: expected an integer"),
    ("[server]\nport = true\n", "server.port: expected an integer"),
    ("[server]\nport = 70000\n", "server.port"),
    ('[server]\nhost = "0.0.0.0"\n', "token_file is required"),
    ('[server]\ntoken_file = "/nonexistent/token"\n', "server.token_file"),
    ('[license]\nplan = "gold"\n', "license.plan"),
    ('[schedule]\ntimezone = "Mars/Olympus"\n', "schedule.timezone"),
    ('[media]\nroots = ["/nonexistent/dir"]\n', "media.roots"),
    ('[media]\nroots = "/tmp"\n', "media.roots: expected a list"),
    ('[adb]\nservers = ["localhost"]\n', "adb.servers"),
    ('[[devices]]\nname = "x"\n', "devices"),
    ('[[devices]]\nserial = "A"\nplatform = "vine"\n', "devices.platform"),
    ('[[devices]]\nserial = "A"\n[[devices]]\nserial = "A"\n', "declared twice"),
    ("[server\n", "not valid TOML"),
])
def test_errors_name_the_key(tmp_path, text, message):
    with pytest.raises(config.ConfigError, match=message.replace(".", r"\.")):
        config.load(write(tmp_path, text))


def test_non_loopback_with_token(tmp_path):
    token = tmp_path / "token"
    token.write_text("abc")
    loaded = config.load(write(tmp_path, f'[server]\nhost = "0.0.0.0"\ntoken_file = "{token}"\n'))
    assert loaded.token() == "abc"
