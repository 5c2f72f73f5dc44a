"""What both simulated apps share: a screen stack, focused text fields, dialogs, the gallery.

An app is a small state machine: ``screen`` names what is shown, ``params``
what it shows (whose profile, which search), ``render()`` turns that into a
view tree, and ``tap(node)`` / ``key(code)`` / ``type(text)`` move it on.
"""

from __future__ import annotations

import posixpath
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tikmatrixd.sim import realscreen
from tikmatrixd.sim.state import AppAccounts, Post
from tikmatrixd.sim.ui import SCREEN_H, SCREEN_W, N, Node

if TYPE_CHECKING:
    from tikmatrixd.sim.device import SimDevice

VIDEO_EXT = (".mp4", ".mov", ".3gp", ".webm", ".mkv")
IMAGE_EXT = (".jpg", ".jpeg", ".png", ".webp", ".heic", ".gif")


@dataclass
class Frame:
    screen: str
    params: dict[str, Any] = field(default_factory=dict)


class App:
    app = ""  # "tiktok" | "instagram": the corpus's name for it
    package = ""
    activity = ""
    home = "feed"
    #: Screens on which the popup fault may interrupt (never mid-upload).
    popup_screens: tuple[str, ...] = ()

    def __init__(self, device: SimDevice) -> None:
        self.dev = device
        self.stack: list[Frame] = []
        self.fields: dict[str, str] = {}
        self.focus: str | None = None
        self.dialog: str | None = None
        self.running = False
        self.upload_until = 0.0
        #: The post being made: how the flow began and what was chosen on the way.
        self.draft: dict[str, Any] = {}

    # -- helpers the screens use --------------------------------------------
    @property
    def lang(self) -> str:
        return self.dev.state.language

    @property
    def accounts(self) -> AppAccounts:
        return self.dev.state.apps[self.package]

    @property
    def frame(self) -> Frame:
        if not self.stack:
            self.stack.append(Frame(self.home))
        return self.stack[-1]

    @property
    def screen(self) -> str:
        return self.frame.screen

    def goto(self, screen: str, **params: Any) -> None:
        self.stack.append(Frame(screen, params))
        self.focus = None
        self._maybe_popup(screen)

    def replace(self, screen: str, **params: Any) -> None:
        if self.stack:
            self.stack.pop()
        self.goto(screen, **params)

    def reset(self, screen: str | None = None, **params: Any) -> None:
        self.stack = [Frame(screen or self.home, params)]
        self.focus = None
        self.fields.clear()

    def back(self) -> None:
        if self.dialog:
            self.dialog = None
        elif self.focus:
            self.focus = None  # the first BACK hides the keyboard
        elif len(self.stack) > 1:
            self.stack.pop()
        else:
            self.dev.to_launcher()

    def _maybe_popup(self, screen: str) -> None:
        rate = self.dev.faults.popup_rate
        if rate and screen in self.popup_screens and self.dev.rng.random() < rate:
            self.dialog = self.dev.rng.choice(self.dialogs())

    def dialogs(self) -> list[str]:
        return ["not_now", "update", "permission"]

    # -- lifecycle -----------------------------------------------------------
    def launch(self) -> None:
        if not self.running:
            self.running = True
            self.reset()
            self._maybe_popup(self.home)

    def stop(self) -> None:
        self.running = False
        self.reset()
        self.dialog = None

    def open_url(self, url: str) -> bool:
        return False

    def receive_share(self, path: str, activity: str) -> bool:
        """An ACTION_SEND of ``path`` to ``activity`` (or the app's default share target)."""
        return False

    def start_draft(self, via: str, **values: Any) -> None:
        self.draft = {"via": via, "sound": None, "volumes": None, "product": None, **values}

    # -- input ---------------------------------------------------------------
    def tap(self, node: Node, x: int = 0) -> None:
        action = node.action
        if not action:
            return
        name, _, arg = action.partition(":")
        if name == "seek":  # a slider: where along it the tap landed sets its value
            left, _, right, _ = node.bounds
            self.on_seek(arg, max(0, min(100, round((x - left) * 100 / max(1, right - left)))))
            return
        if name == "focus":
            self.focus = arg
            return
        if name == "dialog":
            self.dialog = None
            return
        handler = getattr(self, f"on_{name}", None)
        if handler is not None:
            handler(arg)

    def key(self, code: int) -> None:
        if code == 4:
            self.back()
        elif code == 66 and self.focus:
            self.submit(self.focus)
        elif code == 67 and self.focus:
            self.fields[self.focus] = self.fields.get(self.focus, "")[:-1]
            self.changed(self.focus)

    def type(self, text: str) -> bool:
        """Type into the focused field; False when nothing has focus (text is lost)."""
        if not self.focus:
            return False
        self.fields[self.focus] = self.fields.get(self.focus, "") + text
        self.changed(self.focus)
        return True

    def changed(self, field_name: str) -> None:
        pass

    def scroll(self, pixels: int) -> None:
        """A swipe up by ``pixels`` (down when negative) moves the screen's list; feeds are endless."""
        params = self.frame.params
        params["scroll_px"] = max(0, params.get("scroll_px", 0) + pixels)

    def rows_in_view(self, count: int, top: int, row_height: int, bottom: int) -> list[tuple[int, int]]:
        """(index, y) of the list's rows wholly on screen once scrolled: a RecyclerView dumps only those."""
        scroll = min(self.frame.params.get("scroll_px", 0), max(0, count * row_height - (bottom - top)))
        rows = [(i, top + i * row_height - scroll) for i in range(count)]
        return [(i, y) for i, y in rows if y >= top and y + row_height <= bottom]

    def search_users(self, q: str, lookalikes: list[str]) -> list[str]:
        """The accounts a search for ``q`` lists: the phone's ranking for it, or ``q`` then look-alikes."""
        base = q.strip().lstrip("@")
        return self.dev.state.search_ranking.get(base.casefold()) or [base, *(base + s for s in lookalikes)]

    def submit(self, field_name: str) -> None:
        pass

    # -- gallery and posting -------------------------------------------------
    # Node actions both apps share: open a user, follow them.
    def on_user(self, user: str) -> None:
        if user == self.accounts.current:
            self.goto("own_profile")
        else:
            self.goto("profile", user=user)

    def on_follow(self, user: str) -> None:
        if self.dev.faults.action_block:
            self.dialog = "blocked"  # the platform refuses the action and says so
            return
        self.accounts.follow(user)

    def gallery(self) -> list[str]:
        """Scanned media, newest first (what the app's picker shows)."""
        return list(reversed(self.dev.state.media_store))

    @staticmethod
    def is_video(path: str) -> bool:
        return path.lower().endswith(VIDEO_EXT)

    # -- the volume sheet (hand-written, both apps) ----------------------------
    def on_volume(self, _: str) -> None:
        if self.draft.get("volumes") is None:
            self.draft["volumes"] = {"original": 100, "added": 100}
        self.goto("volume")

    def on_seek(self, which: str, value: int) -> None:
        self.draft["volumes"][which] = value

    def on_volume_done(self, _: str) -> None:
        self.stack.pop()

    def volume_sheet(self, title: str, labels: dict[str, str], done: str) -> list[Node]:
        """Two sliders (SeekBar, content-desc = its label, text = its value 0-100) and Done."""
        volumes = self.draft.get("volumes") or {"original": 100, "added": 100}
        rows = []
        for i, which in enumerate(("original", "added")):
            y = 1500 + i * 220
            rows += [N("TextView", (60, y, 1020, y + 70), text=labels[which]),
                     N("SeekBar", (60, y + 90, 900, y + 170), desc=labels[which], text=str(volumes[which]),
                       action=f"seek:{which}"),
                     N("TextView", (920, y + 90, 1020, y + 170), text=str(volumes[which]))]
        return [N("FrameLayout", (0, 1300, SCREEN_W, SCREEN_H),
                  N("TextView", (60, 1340, 700, 1420), text=title),
                  N("Button", (760, 1330, 1040, 1430), text=done, action="volume_done:"),
                  *rows, desc="Bottom sheet")]

    def record_post(self, media: list[str], caption: str, placement: str) -> Post:
        items = []
        for path in media:
            f = self.dev.storage.files.get(path)
            items.append({"path": path, "name": posixpath.basename(path), "sha256": f.sha256 if f else ""})
        draft = self.draft
        post = Post(app=self.package, account=self.accounts.current, media=items, caption=caption,
                    placement=placement, sound=draft.get("sound"), via=draft.get("via", "app"),
                    volumes=dict(draft["volumes"]) if draft.get("volumes") else None,
                    product=draft.get("product"))
        self.draft = {}
        self.dev.state.posts.append(post)
        self.upload_until = time.monotonic() + self.dev.upload_seconds
        return post

    @property
    def uploading(self) -> bool:
        return time.monotonic() < self.upload_until

    # -- rendering -----------------------------------------------------------
    def render(self) -> list[Node]:
        raise NotImplementedError

    def real_state(self) -> tuple[str, str, str]:
        """(screen, state, account shown) to look up a real dump for; the app says which states it tells apart."""
        return self.screen, "", ""

    def real_windows(self, screen: str = "", state: str = "", user: str = "") -> list[Node] | None:
        """The current screen (or the one named) built from a real dump of this app version and
        language, if the corpus has one."""
        if not screen:
            screen, state, user = self.real_state()
        version = self.dev.state.versions.get(self.package, "")
        template = realscreen.find(self.app, version, self.lang, screen, state)
        if template is None:
            return None
        self.dev.real_screens_shown[template.dump.name] += 1
        return template.render(user)

    def modal_window(self, *content: Node) -> Node:
        """A dialog or sheet drawn over a real screen: its own window, taking every tap."""
        return N("FrameLayout", (0, 0, SCREEN_W, SCREEN_H), *content, package=self.package, action="modal:")

    def screen_names(self) -> list[str]:
        return []


def permission_window(text: str, allow: str, deny: str) -> Node:
    """Android 12 runtime-permission dialog (taktik-bot android12_fr_permission_camera.xml)."""
    pkg = "com.google.android.permissioncontroller"
    return N("FrameLayout", (0, 0, SCREEN_W, SCREEN_H),  # modal: taps outside its buttons do nothing
             N("LinearLayout", (66, 1002, 1014, 1640),
               N("TextView", (132, 1100, 948, 1300), text=text,
                 rid=f"{pkg}:id/permission_message", package=pkg),
               N("Button", (66, 1380, 1014, 1500), text=allow, action="dialog:allow",
                 rid=f"{pkg}:id/permission_allow_button", package=pkg),
               N("Button", (66, 1510, 1014, 1630), text=deny, action="dialog:deny",
                 rid=f"{pkg}:id/permission_deny_button", package=pkg),
               rid=f"{pkg}:id/grant_dialog", package=pkg),
             package=pkg, action="modal:")
