"""`tikmatrixd import-accounts`: CSV and TOML files into the accounts registry."""

from __future__ import annotations

import asyncio

from tests.helpers import call
from tikmatrixd import cli


async def main(argv):
    return await asyncio.to_thread(cli.main, argv)  # the command runs its own event loop


async def listed(api):
    client = await api()
    status, body = await call(client, "GET", "/api/v1/accounts")
    assert status == 200
    return {(a["platform"], a["username"]): a for a in body["data"]["accounts"]}


async def test_csv_import_then_reimport_updates(api, tmp_path, capsys):
    db = tmp_path / "tasks.db"  # the database the api fixture's config uses
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("username,platform,device,email,tags,status\n"
                        "@Shop_A,tiktok,R58M0001,a@example.com,\"uk,fashion\",0\n"
                        "shop_b,instagram,NEW-PHONE-9,,,1\n")
    assert await main(["import-accounts", str(accounts), "--db", str(db)]) == 0
    assert "imported 2 account(s)" in capsys.readouterr().out
    found = await listed(api)
    assert found[("tiktok", "shop_a")]["tags"] == "uk,fashion" and found[("tiktok", "shop_a")]["device"] == "R58M0001"
    assert found[("instagram", "shop_b")]["status"] == 1 and found[("instagram", "shop_b")]["device"] == "NEW-PHONE-9"

    accounts.write_text("username,platform,status\nshop_b,instagram,0\n")
    assert await main(["import-accounts", str(accounts), "--db", str(db)]) == 0
    assert (await listed(api))[("instagram", "shop_b")]["status"] == 0


async def test_toml_import_and_a_bad_row_imports_nothing(api, tmp_path, capsys):
    db = tmp_path / "tasks.db"
    good = tmp_path / "accounts.toml"
    good.write_text('[[accounts]]\nusername = "one"\n\n[[accounts]]\nusername = "two"\nplatform = "instagram"\n')
    assert await main(["import-accounts", str(good), "--db", str(db)]) == 0
    assert set(await listed(api)) == {("tiktok", "one"), ("instagram", "two")}

    bad = tmp_path / "bad.csv"
    bad.write_text("username,platform\nthree,tiktok\nfour,myspace\n")
    assert await main(["import-accounts", str(bad), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv line 3: platform" in err and "Traceback" not in err
    assert set(await listed(api)) == {("tiktok", "one"), ("instagram", "two")}
