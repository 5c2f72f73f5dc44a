"""The phone's commands: getprop, pm, am, monkey, input, uiautomator, screencap, files, IME...

Each answers like Android 12 does on stdout/stderr/exit status, and drives the
simulated apps through the :class:`~tikmatrixd.sim.device.SimDevice` API.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import re
import time
from typing import TYPE_CHECKING

from tikmatrixd.sim import png
from tikmatrixd.sim.fs import normalize
from tikmatrixd.sim.shell import Result, command, run
from tikmatrixd.sim.state import ADBKEYBOARD, ADBKEYBOARD_IME, BASE_PACKAGES, LATIN_IME
from tikmatrixd.sim.ui import SCREEN_H, SCREEN_W, to_xml

if TYPE_CHECKING:
    from tikmatrixd.sim.device import SimDevice

LAUNCHER_ACTIVITY = "com.google.android.apps.nexuslauncher/.NexusLauncherActivity"
KEYCODES = {"KEYCODE_HOME": 3, "KEYCODE_BACK": 4, "KEYCODE_ENTER": 66, "KEYCODE_DEL": 67,
            "KEYCODE_TAB": 61, "KEYCODE_SPACE": 62, "KEYCODE_APP_SWITCH": 187, "KEYCODE_WAKEUP": 224,
            "KEYCODE_POWER": 26, "KEYCODE_MENU": 82, "KEYCODE_ESCAPE": 111}


def ok(text: str = "") -> Result:
    return Result(out=text.encode())


def fail(text: str, code: int = 1) -> Result:
    return Result(err=text.encode(), code=code)


@command("echo")
async def _echo(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    args = argv[1:]
    newline = "\n"
    if args[:1] == ["-n"]:
        args, newline = args[1:], ""
    return ok(" ".join(args) + newline)


@command("true", "chmod", "chown", "sync", "log")
async def _true(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    return Result()


@command("false")
async def _false(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    return Result(code=1)


@command("sleep")
async def _sleep(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    try:
        await asyncio.sleep(float(argv[1]))
    except (IndexError, ValueError):
        return fail("sleep: bad argument\n")
    return Result()


@command("id")
async def _id(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    return ok("uid=2000(shell) gid=2000(shell) groups=2000(shell) context=u:r:shell:s0\n")


@command("sh")
async def _sh(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    if len(argv) >= 3 and argv[1] == "-c":
        return await run(dev, argv[2])
    return Result()


@command("getprop")
async def _getprop(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    props = dev.props()
    if len(argv) > 1:
        return ok(props.get(argv[1], argv[2] if len(argv) > 2 else "") + "\n")
    return ok("".join(f"[{k}]: [{v}]\n" for k, v in sorted(props.items())))


@command("settings")
async def _settings(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    if len(argv) >= 4 and argv[1] == "get":
        if argv[3] == "default_input_method":
            return ok(dev.state.default_ime + "\n")
        return ok(dev.settings.get(argv[3], "null") + "\n")
    if len(argv) >= 5 and argv[1] == "put":
        if argv[3] == "default_input_method":
            dev.state.ime_enabled = argv[4] == ADBKEYBOARD_IME and ADBKEYBOARD in dev.state.installed
        else:
            dev.settings[argv[3]] = argv[4]
        return Result()
    return fail("usage: settings [--user <USER_ID> | current] get namespace key\n", 255)


@command("ime")
async def _ime(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    sub = argv[1] if len(argv) > 1 else ""
    if sub == "list":
        enabled = [LATIN_IME]
        if ADBKEYBOARD in dev.state.installed and dev.state.ime_enabled:
            enabled.append(ADBKEYBOARD_IME)
        if "-a" in argv and ADBKEYBOARD in dev.state.installed and ADBKEYBOARD_IME not in enabled:
            enabled.append(ADBKEYBOARD_IME)
        return ok("".join(i + "\n" for i in enabled))
    if sub in ("enable", "set") and len(argv) > 2:
        if argv[2] == ADBKEYBOARD_IME and ADBKEYBOARD not in dev.state.installed:
            return fail(f"Unknown input method {argv[2]} cannot be enabled for user #0\n")
        dev.state.ime_enabled = argv[2] == ADBKEYBOARD_IME
        verb = "selected" if sub == "set" else "enabled"
        return ok(f"Input method {argv[2]} {verb} for user #0\n")
    if sub == "disable" and len(argv) > 2:
        if argv[2] == ADBKEYBOARD_IME:
            dev.state.ime_enabled = False
        return ok(f"Input method {argv[2]} disabled for user #0\n")
    return fail("ime: unknown command\n", 255)


@command("pm")
async def _pm(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    await dev.delay("pm")
    installed = dev.state.installed
    if argv[1:3] == ["list", "packages"]:
        rest = [a for a in argv[3:] if not a.startswith("-")]
        third_party = "-3" in argv
        names = list(installed) if third_party else [*BASE_PACKAGES, *installed]
        if rest:
            names = [n for n in names if rest[0] in n]
        return ok("".join(f"package:{n}\n" for n in sorted(names)))
    if argv[1:2] == ["path"] and len(argv) > 2:
        if argv[2] in installed or argv[2] in BASE_PACKAGES:
            return ok(f"package:/data/app/~~sim/{argv[2]}-1/base.apk\n")
        return Result(code=1)
    if argv[1:2] == ["clear"] and len(argv) > 2:
        return ok("Success\n")
    return fail("pm: unknown command\n", 255)


@command("dumpsys")
async def _dumpsys(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    what = argv[1] if len(argv) > 1 else ""
    if what == "package" and len(argv) > 2:
        pkg = argv[2]
        if pkg not in dev.state.installed:
            return ok(f"Unable to find package: {pkg}\n")
        return ok(f"Packages:\n  Package [{pkg}] (sim):\n    userId=10123\n"
                  f"    versionCode=1 minSdk=24 targetSdk=33\n    versionName={dev.state.versions.get(pkg, '1.0')}\n")
    if what == "window":
        app = dev.foreground_app()
        comp = f"{app.package}/{app.activity}" if app else LAUNCHER_ACTIVITY
        return ok(f"  mCurrentFocus=Window{{a1b2c3 u0 {comp}}}\n  mFocusedApp=ActivityRecord{{d4e5 u0 {comp} t7}}\n")
    if what == "activity":
        app = dev.foreground_app()
        comp = f"{app.package}/{app.activity}" if app else LAUNCHER_ACTIVITY
        return ok(f"  mResumedActivity: ActivityRecord{{d4e5 u0 {comp} t7}}\n")
    return ok("")


@command("grep")
async def _grep(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    flags = 0
    invert = quiet = False
    pattern = None
    for arg in argv[1:]:
        if arg.startswith("-") and pattern is None and len(arg) > 1:
            flags |= re.IGNORECASE if "i" in arg else 0
            invert = invert or "v" in arg
            quiet = quiet or "q" in arg
        elif pattern is None:
            pattern = arg
    if pattern is None:
        return fail("usage: grep PATTERN\n", 2)
    try:
        regex = re.compile(pattern, flags)
    except re.error:
        regex = re.compile(re.escape(pattern), flags)
    lines = [line for line in stdin.decode("utf-8", "replace").splitlines()
             if bool(regex.search(line)) != invert]
    return Result(out=b"" if quiet else "".join(line + "\n" for line in lines).encode(), code=0 if lines else 1)


@command("am")
async def _am(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    await dev.delay("am")
    sub = argv[1] if len(argv) > 1 else ""
    opts: dict[str, str] = {}
    extras: dict[str, str] = {}
    args = argv[2:]
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("--es", "--ei", "--ez", "--eu") and i + 2 < len(args):
            extras[args[i + 1]] = args[i + 2]
            i += 3
            continue
        if a in ("-a", "-d", "-n", "-c", "-f", "-p", "-t", "--user") and i + 1 < len(args):
            opts[a] = args[i + 1]
            i += 2
            continue
        if not a.startswith("-"):
            opts.setdefault("pkg", a)
        i += 1
    if sub == "force-stop":
        dev.stop_app(opts.get("pkg", ""))
        return Result()
    if sub in ("start", "start-activity") and opts.get("-a") == "android.intent.action.SEND":
        return _am_send(dev, opts, extras)
    if sub in ("start", "start-activity"):
        return _am_start(dev, opts)
    if sub == "broadcast":
        return _am_broadcast(dev, opts, extras)
    return fail(f"Error: unknown command '{sub}'\n", 255)


def _intent_text(opts: dict[str, str]) -> str:
    parts = []
    if "-a" in opts:
        parts.append(f"act={opts['-a']}")
    if "-d" in opts:
        parts.append(f"dat={opts['-d']}")
    if "-n" in opts:
        parts.append(f"cmp={opts['-n']}")
    return "Intent { " + " ".join(parts) + " }"


def _am_start(dev: SimDevice, opts: dict[str, str]) -> Result:
    intent = _intent_text(opts)
    pkg = opts.get("-n", "").split("/", 1)[0] or opts.get("-p", "")
    if "-d" in opts and re.match(r"https?://", opts["-d"]):
        if dev.open_url(opts["-d"], pkg or None):
            return ok(f"Starting: {intent}\n")
        return fail(f"Starting: {intent}\nError: Activity not started, unable to resolve {intent}\n")
    if pkg:
        if dev.start_app(pkg):
            return ok(f"Starting: {intent}\n")
        return fail(f"Starting: {intent}\nError: Activity class {{{opts.get('-n', pkg)}}} does not exist.\n")
    return fail(f"Starting: {intent}\nError: Activity not started, unable to resolve {intent}\n")


def _am_send(dev: SimDevice, opts: dict[str, str], extras: dict[str, str]) -> Result:
    """A share: ``-a SEND -t <mime> --eu android.intent.extra.STREAM content://media/... -n|-p <app>``."""
    intent = _intent_text(opts)
    component = opts.get("-n", "")
    package = component.split("/", 1)[0] or opts.get("-p", "")
    activity = component.split("/", 1)[1] if "/" in component else ""
    if activity.startswith("."):
        activity = package + activity
    if package and dev.share(package, activity, extras.get("android.intent.extra.STREAM", "")):
        return ok(f"Starting: {intent}\n")
    return fail(f"Starting: {intent}\nError: Activity not started, unable to resolve {intent}\n")


def _am_broadcast(dev: SimDevice, opts: dict[str, str], extras: dict[str, str]) -> Result:
    action = opts.get("-a", "")
    done = f"Broadcasting: Intent {{ act={action} flg=0x400000 (has extras) }}\nBroadcast completed: result=0\n"
    ime_on = ADBKEYBOARD in dev.state.installed and dev.state.ime_enabled
    if action == "ADB_INPUT_B64" and ime_on:
        try:
            text = base64.b64decode(extras.get("msg", ""), validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            text = ""
        dev.type_text(text)
    elif action == "ADB_INPUT_TEXT" and ime_on:
        dev.type_text(extras.get("msg", ""))
    elif action == "ADB_CLEAR_TEXT" and ime_on:
        dev.clear_text()
    elif action == "android.intent.action.MEDIA_SCANNER_SCAN_FILE":
        data = opts.get("-d", "")
        if data.startswith("file://"):
            dev.media_scan(data[len("file://"):])
    return ok(done)


@command("content")
async def _content(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    """``content query --uri content://media/external/file --projection _id:_data --where "_data LIKE '...'"``.

    Only what the daemon asks of the media store: rows whose path is LIKE
    (``%`` any run, ``_`` one character) or = the given one. /sdcard is stored
    as /storage/emulated/0, like the real MediaProvider does.
    """
    await dev.delay("default")
    opts = dict(zip(argv[2::2], argv[3::2]))
    if argv[1:2] != ["query"] or not opts.get("--uri", "").startswith("content://media/external/"):
        return fail("usage: content query --uri <URI> [--projection <PROJECTION>] [--where <WHERE>]\n", 1)
    where = re.fullmatch(r"_data (LIKE|=) '([^']*)'", opts.get("--where", ""))
    if where is None:
        return fail(f"Error while accessing provider:media\nandroid.database.sqlite.SQLiteException: "
                    f"near \"{opts.get('--where', '')}\": syntax error\n", 1)
    if where.group(1) == "LIKE":
        pattern = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in where.group(2))
    else:
        pattern = re.escape(where.group(2))
    rows = []
    for path, media_id in dev.state.media_ids.items():
        stored = "/storage/emulated/0" + path[len("/sdcard"):] if path.startswith("/sdcard/") else path
        if re.fullmatch(pattern, stored, re.IGNORECASE | re.DOTALL):
            columns = {"_id": str(media_id), "_data": stored}
            projection = opts.get("--projection", "_id:_data").split(":")
            rows.append(", ".join(f"{c}={columns.get(c, 'NULL')}" for c in projection))
    if not rows:
        return ok("No result found.\n")
    return ok("".join(f"Row: {i} {row}\n" for i, row in enumerate(rows)))


@command("monkey")
async def _monkey(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    await dev.delay("monkey")
    pkg = argv[argv.index("-p") + 1] if "-p" in argv and argv.index("-p") + 1 < len(argv) else ""
    if pkg and dev.start_app(pkg):
        return ok("  bash arg: -p\n  bash arg: " + pkg + "\nEvents injected: 1\n## Network stats: elapsed time=12ms\n")
    return fail("** No activities found to run, monkey aborted.\n", 251)


@command("input")
async def _input(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    await dev.delay("input")
    args = argv[1:]
    if args and args[0] in ("touchscreen", "keyboard", "mouse", "touchpad", "dpad", "gamepad", "stylus", "trackball"):
        args = args[1:]
    if not args:
        return fail("Usage: input [<source>] <command> [<arg>...]\n", 1)
    sub, rest = args[0], args[1:]
    try:
        if sub == "tap" and len(rest) >= 2:
            dev.tap(int(float(rest[0])), int(float(rest[1])))
            return Result()
        if sub in ("swipe", "draganddrop") and len(rest) >= 4:
            dev.swipe(*(int(float(v)) for v in rest[:4]))
            return Result()
        if sub == "keyevent" and rest:
            for code in rest:
                if code.startswith("--"):
                    continue
                dev.key(KEYCODES[code] if code in KEYCODES else int(code))
            return Result()
    except (ValueError, KeyError):
        return fail(f"Error: Invalid arguments for command: {sub}\n", 1)
    if sub == "text" and rest:
        text = rest[0].replace("%s", " ")
        if any(ord(c) > 127 for c in text):
            # Stock `input text` cannot map non-ASCII characters to key events.
            return fail("Exception occurred while executing 'text':\n"
                        "java.lang.IllegalArgumentException: Unable to find key codes for text\n", 255)
        dev.type_text(text)
        return Result()
    return fail(f"Error: Unknown command: {sub}\n", 1)


@command("uiautomator")
async def _uiautomator(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    if argv[1:2] != ["dump"]:
        return fail("Usage: uiautomator <subcommand> [options]\n", 1)
    await dev.delay("dump")
    target = next((a for a in argv[2:] if not a.startswith("-")), "/sdcard/window_dump.xml")
    rng = dev.rng
    if dev.faults.idle_error_rate and rng.random() < dev.faults.idle_error_rate:
        return ok("ERROR: could not get idle state.\n")
    if dev.faults.null_root_rate and rng.random() < dev.faults.null_root_rate:
        return ok("ERROR: null root node returned by UiTestAutomationBridge.\n")
    xml = to_xml(dev.windows())
    if target == "/dev/tty":
        return ok(xml + "UI hierchary dumped to: /dev/tty\n")
    error = dev.storage.write(target, xml.encode())
    if error:
        return fail(f"ERROR: {error}\n", 1)
    return ok(f"UI hierchary dumped to: {target}\n")


@command("screencap")
async def _screencap(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    await dev.delay("screencap")
    data = png.render(dev.windows())
    target = next((a for a in argv[1:] if not a.startswith("-")), None)
    if target:
        dev.storage.write(target, data)
        return Result()
    return Result(out=data)


@command("wm")
async def _wm(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    if argv[1:2] == ["size"]:
        return ok(f"Physical size: {SCREEN_W}x{SCREEN_H}\n")
    if argv[1:2] == ["density"]:
        return ok("Physical density: 420\n")
    return fail("wm: unknown command\n", 255)


@command("cat")
async def _cat(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    if len(argv) == 1:
        return Result(out=stdin)
    out, err, code = b"", b"", 0
    for path in argv[1:]:
        data = dev.storage.read(path)
        if data is None:
            msg = "Is a directory" if dev.storage.is_dir(path) else "No such file or directory"
            err += f"cat: {path}: {msg}\n".encode()
            code = 1
        else:
            out += data
    return Result(out, err, code)


@command("rm")
async def _rm(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    force = any(a.startswith("-") and "f" in a for a in argv[1:])
    err, code = b"", 0
    for path in (a for a in argv[1:] if not a.startswith("-")):
        if not dev.storage.remove(path) and not force:
            err += f"rm: {path}: No such file or directory\n".encode()
            code = 1
        dev.forget_media(path)
    return Result(err=err, code=code)


@command("mkdir")
async def _mkdir(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    for path in (a for a in argv[1:] if not a.startswith("-")):
        dev.storage.mkdirs(path)
    return Result()


@command("touch")
async def _touch(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    for path in (a for a in argv[1:] if not a.startswith("-")):
        if dev.storage.read(path) is None:
            dev.storage.write(path, b"")
    return Result()


@command("ls")
async def _ls(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    long = any(a.startswith("-") and "l" in a for a in argv[1:])
    paths = [a for a in argv[1:] if not a.startswith("-")] or ["/sdcard"]
    out, err, code = [], b"", 0
    for path in paths:
        if dev.storage.is_dir(path):
            for name, (mode, size, mtime) in dev.storage.listdir(path):
                if name in (".", ".."):
                    continue
                if long:
                    kind = "d" if mode & 0o040000 else "-"
                    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(mtime))
                    out.append(f"{kind}rw-rw---- 1 root sdcard_rw {size:>8} {stamp} {name}")
                else:
                    out.append(name)
        elif dev.storage.exists(path):
            out.append(normalize(path) if long is False else path)
        else:
            err += f"ls: {path}: No such file or directory\n".encode()
            code = 1
    return Result(out="".join(line + "\n" for line in out).encode(), err=err, code=code)


@command("sha256sum", "md5sum")
async def _sum(dev: SimDevice, argv: list[str], stdin: bytes) -> Result:
    algo = hashlib.sha256 if argv[0].endswith("sha256sum") else hashlib.md5
    out, err, code = "", "", 0
    for path in argv[1:]:
        data = dev.storage.read(path)
        if data is None:
            err += f"{argv[0]}: {path}: No such file or directory\n"
            code = 1
        else:
            out += f"{algo(data).hexdigest()}  {path}\n"
    return Result(out.encode(), err.encode(), code)
