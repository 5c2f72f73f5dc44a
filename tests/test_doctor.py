"""`tikmatrixd selectors check` on real dumps and `tikmatrixd doctor` on a simulated phone."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

from tikmatrixd.sim import corpus
from tikmatrixd.sim.state import TIKTOK
from tikmatrixd.ui.selectors import PACKS_DIR


def tikmatrixd(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tikmatrixd", *args], input=stdin, capture_output=True,
                          text=True, timeout=60)


def real_dump(tmp_path: Path, name: str, style: str = "u2") -> Path:
    path = tmp_path / f"{name}.xml"
    path.write_text(corpus.manifest()[name].xml(style), encoding="utf-8")
    return path


def test_check_says_which_screen_a_real_dump_is_and_what_each_selector_finds(tmp_path):
    done = tikmatrixd("selectors", "check", str(real_dump(tmp_path, "tt4314_fr_profile")), "--user", "name_1")
    assert done.returncode == 0, done.stderr
    assert "app: tiktok" in done.stdout
    assert "looks like: profile 2/3" in done.stdout
    assert "ok    profile.follow_button: TextView id=eme text='Suivre' [44,873][479,972]" \
           "  -> tap reaches LinearLayout [44,873][479,972] clickable" in done.stdout
    assert "MISS  profile.following_button" in done.stdout  # not followed: no "Suivis" control


def test_check_reads_stock_dumps_from_stdin_and_a_named_screen(tmp_path):
    xml = corpus.manifest()["ig410_fr_profile_following"].xml("stock")
    done = tikmatrixd("selectors", "check", "-", "--screen", "profile", stdin=xml)
    assert done.returncode == 0, done.stderr
    assert "ok    profile.following_button: Button id=profile_header_follow_button text='Suivi(e)'" in done.stdout
    assert "ok    profile.username: TextView id=action_bar_title text='name_27'" in done.stdout


def test_a_broken_pack_shows_the_closest_candidates(tmp_path):
    packs = tmp_path / "packs"
    shutil.copytree(PACKS_DIR, packs)
    pack = packs / "tiktok.toml"
    pack.write_text(pack.read_text(encoding="utf-8").replace('id = "eme"', 'id = "zzz"'), encoding="utf-8")
    done = tikmatrixd("selectors", "check", str(real_dump(tmp_path, "tt4314_fr_profile")),
                      "--selectors-dir", str(packs), "--screen", "profile")
    assert done.returncode == 0, done.stderr
    assert "MISS  profile.follow_button\n          closest: TextView id=eme text='Suivre' [44,873][479,972]" \
           in done.stdout


def test_check_refuses_what_it_cannot_read(tmp_path):
    junk = tmp_path / "junk.xml"
    junk.write_text("ERROR: could not get idle state.\n")
    for args, message in [((str(junk),), "not a uiautomator dump"),
                          ((str(tmp_path / "missing.xml"),), "No such file"),
                          ((str(real_dump(tmp_path, "tt4314_fr_profile")), "--screen", "kitchen"), "no screen"),
                          ((str(real_dump(tmp_path, "tt4314_fr_profile")), "--app", "snapchat"), "no selector pack")]:
        done = tikmatrixd("selectors", "check", *args)
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, done


async def test_doctor_reads_a_live_phone_through_the_adb_server(adb_servers, farms, tmp_path):
    server = adb_servers()
    farm = await farms(1, server, language="fr")
    phone = farm[0]
    assert phone.open_url("https://www.tiktok.com/@nasa", TIKTOK)  # on 47.0.3: a real profile, not followed
    out = tmp_path / "report"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tikmatrixd", "doctor", phone.serial, "--adb-server", server.address,
        "--out", str(out), "--user", "nasa", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    report = stdout.decode()
    assert process.returncode == 0, stderr.decode()
    assert "looks like: profile" in report
    assert "ok    profile.follow_button: TextView id=fmp text='Suivre en retour'" in report
    assert "ok    profile.username: Button id=t3y text='@nasa'" in report
    assert (out / "screen.png").read_bytes().startswith(b"\x89PNG")
    assert "com.zhiliaoapp.musically:id/fmp" in (out / "dump.xml").read_text()
    assert (out / "report.txt").read_text().strip() == report.split("\n", 1)[1].strip()

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tikmatrixd", "doctor", "127.0.0.1:1", "--adb-server", server.address,
        "--out", str(tmp_path / "none"), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2 and b"cannot read 127.0.0.1:1's screen" in stderr and b"Traceback" not in stderr
