"""The config file: defaults, validation, and the shipped example."""

from __future__ import annotations

import re
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
    ('[adb]\nservers = ["localfilesystem:adb.sock"]\n', "neither host:port nor localfilesystem:/PATH"),
    ('[[devices]]\nname = "x"\n', "devices"),
    ('[[devices]]\nserial = "A"\nplatform = "vine"\n', "devices.platform"),
    ('[[devices]]\nserial = "A"\n[[devices]]\nserial = "A"\n', "declared twice"),
    ("[server\n", "not valid TOML"),
    ("[retry.repost]\nattempts = 1\n", "unknown config key retry.repost (scripts: post, follow, unfollow)"),
    ("[retry]\npost = 3\n", "retry.post: expected a table"),
    ("[retry.follow]\nattempts = 11\n", "retry.follow.attempts: must be 0-10"),
    ("[retry.follow]\ntries = 1\n", "unknown config key retry.follow.tries"),
    ("[caps]\nlike = 5\n", "unknown config key caps.like"),
    ("[caps]\nfollow = -1\n", "caps.follow: must not be negative"),
    ('[caps]\nfollow = "5"\n', "caps.follow: expected an integer, got '5'"),
])
def test_errors_name_the_key(tmp_path, text, message):
    with pytest.raises(config.ConfigError, match=re.escape(message)):
        config.load(write(tmp_path, text))


def test_per_script_tables_start_from_the_script_defaults(tmp_path):
    loaded = config.load(write(tmp_path, "[retry.follow]\nattempts = 2\n[caps]\npost = 20\ncooldown = 60\n"))
    assert loaded.retry["follow"] == config.RetryPolicy(attempts=2)
    assert loaded.retry["post"] == loaded.retry["unfollow"] == config.RetryPolicy()
    assert dict(loaded.caps.daily) == {"post": 20, "follow": 0, "unfollow": 0}
    assert loaded.caps.cooldown == 60.0


def test_media_limits_from_the_file_are_kept(tmp_path):
    loaded = config.load(write(tmp_path, f'[media]\nroots = ["{tmp_path}"]\nupload_max_bytes = 5000\n'))
    assert (loaded.media.roots, loaded.media.upload_max_bytes) == ((str(tmp_path.resolve()),), 5000)


def test_non_loopback_with_token(tmp_path):
    token = tmp_path / "token"
    token.write_text("abc")
    loaded = config.load(write(tmp_path, f'[server]\nhost = "0.0.0.0"\ntoken_file = "{token}"\n'))
    assert loaded.token() == "abc"


def test_an_adb_server_on_a_unix_socket_is_named_as_adb_names_it(tmp_path):
    loaded = config.load(write(tmp_path, '[adb]\nservers = ["localfilesystem:/run/adb.sock", "10.0.0.5:5037"]\n'))
    assert loaded.adb.servers == ("localfilesystem:/run/adb.sock", "10.0.0.5:5037")
