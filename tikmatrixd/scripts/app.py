"""Steps every script shares: open the app, open a profile, leave the phone in a known state."""

from __future__ import annotations

from tikmatrixd.core import names
from tikmatrixd.core.status import ErrorReason, ScriptFailure
from tikmatrixd.scripts.base import RunContext
from tikmatrixd.ui.hierarchy import Node

PROFILE_URLS = {"tiktok": "https://www.tiktok.com/@{}", "instagram": "https://www.instagram.com/{}/"}


async def start_app(ctx: RunContext) -> None:
    """The app at its home screen, started fresh (a known state to begin from)."""
    await ctx.adb.shell(["am", "force-stop", ctx.package])
    answer = await ctx.ui.shell(["monkey", "-p", ctx.package, "-c", "android.intent.category.LAUNCHER", "1"])
    if "No activities found" in answer or "monkey aborted" in answer.lower():
        await require_installed(ctx)


async def open_profile(ctx: RunContext, user: str) -> None:
    """The user's profile through the app's own link handler (a VIEW intent)."""
    url = PROFILE_URLS[ctx.platform].format(user)
    answer = await ctx.ui.shell(["am", "start", "-a", "android.intent.action.VIEW", "-d", url, "-p", ctx.package])
    if "Error" in answer:
        await require_installed(ctx)
        raise ScriptFailure(ErrorReason.INTENT_FAILED, answer.strip().splitlines()[-1], acted=False)


async def search_and_open(ctx: RunContext, user: str) -> None:
    """The user's profile through the app's search screen, as a person would."""
    ui, pack = ctx.ui, ctx.pack
    await start_app(ctx)
    if ctx.platform == "tiktok":
        await tiktok_search(ctx, user)
        await ui.tap_on(pack["search_results.users_tab"])
        await ui.tap(await ui.scroll_to(pack["search_results.user_row"].fill(user=user)))
    else:
        await ui.tap_on(pack["feed.search_tab"])
        await ui.tap_on(pack["explore.field"])
        await ui.type_text(user)
        await ui.tap(await ui.scroll_to(pack["explore.user_row"].fill(user=user)))


async def tiktok_search(ctx: RunContext, query: str) -> None:
    """TikTok's search results for ``query``, from the feed."""
    await ctx.ui.tap_on(ctx.pack["feed.search"])
    await ctx.ui.tap_on(ctx.pack["search.field"])
    await ctx.ui.type_text(query)
    await ctx.ui.key("enter")


async def active_account(ctx: RunContext) -> tuple[str, Node]:
    """The app's active account as its own profile shows it (the app must be open)."""
    await ctx.ui.tap_on(ctx.pack["feed.profile_tab"])
    _, node = await ctx.ui.wait_for(ctx.pack["own_profile.handle" if ctx.platform == "tiktok" else "own_profile.title"])
    return names.normalize(node.text), node


async def use_account(ctx: RunContext, username: str) -> None:
    """Make ``username`` the app's active account, checked on screen.

    Fails with ``account_mismatch`` (before anything is done on the account)
    when the phone does not have that account logged in, or when the
    switch did not take: a task never runs as the wrong account.
    """
    await start_app(ctx)
    current, handle = await active_account(ctx)
    if current == username:
        return
    await ctx.ui.tap(handle)  # opens the account switcher
    row = ctx.pack["switcher.row"].fill(user=username)
    try:
        await ctx.ui.tap_on(row)
        await ctx.ui.wait_for(ctx.pack["own_profile.username"].fill(user=username))
    except ScriptFailure:
        raise ScriptFailure(ErrorReason.ACCOUNT_MISMATCH,
                            f"cannot switch {ctx.platform} on {ctx.adb.serial} to @{username} "
                            f"(active: @{current})", acted=False) from None
    ctx.log.info("switched account", account=username, previous=current)


async def close_app(ctx: RunContext) -> None:
    """The known state every script ends in: the app closed."""
    await ctx.adb.shell(["am", "force-stop", ctx.package])


async def require_installed(ctx: RunContext) -> None:
    """After an intent the app did not take: ``app_not_installed`` if that is why."""
    if not await ctx.adb.installed(ctx.package):
        raise ScriptFailure(ErrorReason.APP_NOT_INSTALLED, f"{ctx.package} is not installed on {ctx.adb.serial}",
                            acted=False)
