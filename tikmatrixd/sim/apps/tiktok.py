"""Simulated TikTok (com.zhiliaoapp.musically 47.0.3): feed, profiles, search, post flow, switcher.

Each ``_screen_*`` method builds one screen; its header comment names the real
dump (masterFuf/taktik-bot, tests/unit/social_media/tiktok/fixtures/...) whose
structure, classes, texts and content-descs it follows. TikTok's resource-ids
are obfuscated per release: we only use ids seen in those dumps or in
taktik-bot's selector catalogues (taktik/core/social_media/tiktok/ui/selectors),
and leave ids empty where no source gave one. Selectors should prefer texts and
content-descs (see SCREENS.md).
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlparse

from tikmatrixd.sim.apps.base import App, permission_window
from tikmatrixd.sim.state import TIKTOK
from tikmatrixd.sim.ui import NAV_TOP, SCREEN_H, SCREEN_W, STATUS_H, N, Node, app_window

P = TIKTOK + ":id/"

T = {
    "en": {
        "home": "Home", "friends": "Friends", "create": "Create", "inbox": "Inbox", "profile": "Profile",
        "search": "Search", "for_you": "For You", "following_tab": "Following",
        "stat_following": "Following", "stat_followers": "Followers", "stat_likes": "Likes",
        "follow": "Follow", "following_btn": "Following", "message": "Message", "edit_profile": "Edit profile",
        "videos": "Videos", "reposts": "Reposts", "top": "Top", "users": "Users", "videos_tab": "Videos",
        "upload": "Upload", "next": "Next", "add_sound": "Add sound", "caption_hint": "Add description...",
        "post": "Post", "drafts": "Drafts", "all": "All", "photos": "Photos", "select": "Select",
        "uploading": "Posting...", "posted": "Posted", "switch_account": "Switch account",
        "add_account": "Add account", "close": "Close", "back": "Back", "like": "Like", "comment": "Comment",
        "update_title": "A new version of TikTok is available", "update": "Update", "not_now": "Not now",
        "contacts_title": "Sync your contacts to find friends", "perm_text":
        "Allow TikTok to access photos and videos on this device?", "allow": "Allow", "deny": "Don\u2019t allow",
        "sounds": "Sounds", "original_sound": "Original sound", "cancel": "Cancel",
        "blocked_title": "You're tapping too fast",
        "volume": "Volume", "added_sound": "Added sound", "done": "Done", "add_link": "Add link",
        "product": "Product", "showcase": "Your showcase", "add": "Add", "sounds_tab": "Sounds",
        "create_with_sound": "Create a post with this sound", "sound_prefix": "Sound: ", "by": "by",
    },
    "fr": {
        "home": "Accueil", "friends": "Amis", "create": "Créer", "inbox": "Boîte de réception",
        "profile": "Profil", "search": "Rechercher", "for_you": "Pour toi", "following_tab": "Abonnements",
        "stat_following": "Suivis", "stat_followers": "Followers", "stat_likes": "J'aime",
        "follow": "Suivre", "following_btn": "Suivis ", "message": "Message", "edit_profile": "Modifier",
        "videos": "Vidéos", "reposts": "Vidéos republiées", "top": "Top", "users": "Utilisateurs",
        "videos_tab": "Vidéos", "upload": "Importer", "next": "Suivant", "add_sound": "Ajouter un son",
        "caption_hint": "Ajouter une description...", "post": "Publier", "drafts": "Brouillons",
        "all": "Tout", "photos": "Photos", "select": "Sélectionner", "uploading": "Publication en cours...",
        "posted": "Publié", "switch_account": "Changer de compte", "add_account": "Ajouter un compte",
        "close": "Fermer", "back": "Retour", "like": "J'aime", "comment": "Commenter",
        "update_title": "Une nouvelle version de TikTok est disponible", "update": "Mettre à jour",
        "not_now": "Pas maintenant", "contacts_title": "Synchronise tes contacts pour trouver des amis",
        "perm_text": "Autoriser TikTok à accéder aux photos et vidéos de cet appareil ?",
        "allow": "Autoriser", "deny": "Ne pas autoriser", "sounds": "Sons", "original_sound": "Son original",
        "cancel": "Annuler", "blocked_title": "Tu vas trop vite",
        "volume": "Volume", "added_sound": "Son ajouté", "done": "Terminé", "add_link": "Ajouter un lien",
        "product": "Produit", "showcase": "Ta vitrine", "add": "Ajouter", "sounds_tab": "Sons",
        "create_with_sound": "Créer une publication avec ce son", "sound_prefix": "Son : ", "by": "par",
    },
}
SOUNDS = (("Original sound", "trending"), ("Aesthetic", "Tollan Kim"), ("Monkeys Spinning Monkeys", "Kevin MacLeod"))
#: TikTok's share target for ACTION_SEND (the "TikTok" entry of Android's share sheet).
SHARE_ACTIVITY = "com.ss.android.ugc.aweme.share.SystemShareActivity"
FULL = (0, 0, SCREEN_W, SCREEN_H)


def sound_label(index: int) -> str:
    title, artist = SOUNDS[index]
    return f"{title} - {artist}"


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


def _count(seed: str, top: int) -> int:
    return int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16) % top


class TikTok(App):
    app = "tiktok"
    package = TIKTOK
    activity = "com.ss.android.ugc.aweme.splash.SplashActivity"
    popup_screens = ("feed", "profile", "own_profile", "search", "camera")

    def t(self, key: str) -> str:
        return T[self.lang][key]

    def dialogs(self) -> list[str]:
        return ["not_now", "update", "permission"]

    # -- navigation --------------------------------------------------------
    def open_url(self, url: str) -> bool:
        parsed = urlparse(url)
        host = (parsed.hostname or "").lower()
        match = re.match(r"^/@([A-Za-z0-9._]+)", parsed.path)
        if host.endswith("tiktok.com") and match:
            self.running = True
            self.reset()
            self.goto("profile", user=match.group(1))
            return True
        if host.endswith("tiktok.com"):
            self.running = True
            self.reset()
            return True
        return False

    def on_tab(self, arg: str) -> None:
        if arg == "home":
            self.reset("feed")
        elif arg == "profile":
            self.reset("own_profile")

    def on_search(self, _: str) -> None:
        self.fields["search"] = ""
        self.goto("search")
        self.focus = "search"

    def submit(self, field_name: str) -> None:
        if field_name == "search" and self.fields.get("search", "").strip():
            self.goto("search_results", q=self.fields["search"].strip(), tab="top")

    def on_do_search(self, _: str) -> None:
        self.submit("search")

    def on_results_tab(self, arg: str) -> None:
        self.frame.params["tab"] = arg

    def on_unfollow(self, user: str) -> None:
        self.accounts.unfollow(user)

    def on_switcher(self, _: str) -> None:
        self.goto("switcher")

    def on_switch(self, user: str) -> None:
        if user in self.accounts.accounts:
            self.accounts.current = user
        self.reset("own_profile")

    def on_close(self, _: str) -> None:
        self.back()

    # -- post flow ---------------------------------------------------------
    # Three ways in: Create (the in-app button), a share (SEND intent) straight into
    # the editor, or "Create a post with this sound" from a search's Sounds tab.
    def receive_share(self, path: str, activity: str) -> bool:
        if activity not in ("", SHARE_ACTIVITY):
            return False
        self.running = True
        self.reset()
        self.start_draft("share")
        self.goto("editor", media=[path])
        return True

    def on_create(self, _: str) -> None:
        self.start_draft("app")
        self.goto("camera")

    def on_use_sound(self, index: str) -> None:
        self.start_draft("sound", sound=sound_label(int(index)))
        self.goto("camera")

    def on_upload(self, _: str) -> None:
        self.goto("gallery", selected=[])

    def on_pick(self, index: str) -> None:
        items = self.gallery()
        i = int(index)
        if i >= len(items):
            return
        selected: list[str] = self.frame.params.setdefault("selected", [])
        path = items[i]
        if path in selected:
            selected.remove(path)
        else:
            selected.append(path)

    def on_next(self, _: str) -> None:
        if self.screen == "gallery" and self.frame.params.get("selected"):
            self.goto("editor", media=list(self.frame.params["selected"]))
        elif self.screen == "editor":
            self.fields["caption"] = ""
            self.goto("compose", media=self.frame.params["media"])

    def on_add_sound(self, _: str) -> None:
        self.goto("sounds")

    def on_sound(self, index: str) -> None:
        self.stack.pop()
        self.draft["sound"] = sound_label(int(index))

    def on_add_link(self, _: str) -> None:
        self.goto("add_link")

    def on_link_product(self, _: str) -> None:
        self.replace("products")

    def on_add_product(self, index: str) -> None:
        self.stack.pop()
        self.draft["product"] = self.showcase()[int(index)]

    def showcase(self) -> list[str]:
        """The current account's TikTok Shop products; empty when it cannot link any."""
        return self.accounts.shop.get(self.accounts.current, [])

    def sound_results(self, q: str) -> list[int]:
        """The Sounds tab: sounds whose name has every word searched first, then the rest."""
        wanted = _words(q)
        matching = [i for i in range(len(SOUNDS)) if wanted <= _words(sound_label(i))]
        return matching + [i for i in range(len(SOUNDS)) if i not in matching]

    def on_post(self, _: str) -> None:
        self.record_post(self.frame.params["media"], self.fields.get("caption", ""), "post")
        self.fields["caption"] = ""
        self.reset("feed")

    # -- rendering -----------------------------------------------------------
    def real_state(self) -> tuple[str, str, str]:
        screen = self.screen
        if screen == "profile":
            user = self.frame.params["user"]
            return screen, "followed" if self.accounts.is_following(user) else "not_followed", user
        if screen in ("own_profile", "switcher"):  # the switcher is a sheet over the own profile
            return "own_profile", "", self.accounts.current
        if screen == "feed" and self.dev.state.posts and self.dev.state.posts[-1].app == self.package:
            return ("uploading", "", "") if self.uploading else ("posted", "", "")
        if screen in ("camera", "editor") and (self.draft.get("sound") or self.draft.get("volumes")):
            return screen, "with_sound", ""  # no usable real dump: drawn by hand
        if screen == "compose" and self.showcase():
            return screen, "with_link", ""  # the "Add link" row: drawn by hand
        return screen, "", ""

    def render(self) -> list[Node]:
        screen = self.screen
        real = self.real_windows()
        if real is not None:
            windows = list(real)
            if screen == "switcher":
                windows.append(self.modal_window(*self._screen_switcher()))
        else:
            content = getattr(self, f"_screen_{screen}")()
            if screen == "switcher":
                content = [*self._screen_own_profile(), *content]
            windows = [app_window(self.package, *content)]
        if self.dialog == "permission":
            windows.append(permission_window(self.t("perm_text"), self.t("allow"), self.t("deny")))
        elif self.dialog:
            windows.append(self.modal_window(self._dialog(self.dialog)))
        return windows

    def screen_names(self) -> list[str]:
        return ["feed", "search", "search_results", "profile", "own_profile", "switcher", "camera",
                "gallery", "editor", "sounds", "volume", "compose", "add_link", "products"]

    def _bottom_nav(self, selected: str) -> Node:
        # tt4703_fr_home.xml / tt4693_en_for_you_video.xml: five tabs, content-desc per language;
        # Create is a Button. Ids omitted (43.x ids mkq/mkp/mkn/mkr/mks changed in 47).
        tabs = [("home", "FrameLayout"), ("friends", "FrameLayout"), ("create", "Button"),
                ("inbox", "FrameLayout"), ("profile", "FrameLayout")]
        w = SCREEN_W // 5
        kids = []
        for i, (key, cls) in enumerate(tabs):
            action = {"home": "tab:home", "profile": "tab:profile", "create": "create:"}.get(key, "noop:")
            kids.append(N(cls, (i * w, 2205, (i + 1) * w, NAV_TOP), desc=self.t(key), action=action,
                          selected=key == selected,
                          *( [N("TextView", (i * w + 40, 2280, (i + 1) * w - 40, 2320), text=self.t(key))]
                             if key != "create" else [])))
        return N("LinearLayout", (0, 2205, SCREEN_W, NAV_TOP), *kids)

    def _upload_banner(self) -> list[Node]:
        # tt4703_fr_publish_uploading.xml / tt4663_en_publish_uploading.xml: progress text on :id/x44
        # over the feed while the upload runs; tt4314_fr_publish_posted.xml once done (text least certain).
        if not self.dev.state.posts or self.dev.state.posts[-1].app != self.package:
            return []
        if self.uploading:
            return [N("FrameLayout", (32, 280, 400, 420),
                      N("TextView", (60, 300, 380, 400), text="58%", rid=P + "x44"),
                      N("TextView", (60, 360, 380, 410), text=self.t("uploading")))]
        return [N("TextView", (32, 280, 600, 360), text=self.t("posted"), desc=self.t("posted"))]

    def _screen_feed(self) -> list[Node]:
        # tt4703_fr_for_you_video.xml + tt4693_en_for_you_video.xml: full-screen pager, top tabs
        # (Following / For You), search icon top right (content-desc "Rechercher"/"Search"),
        # right rail (like/comment), author "@user" and the bottom navigation.
        author = f"creator_{_count(self.accounts.current, 90) + 1}"
        return [
            N("androidx.viewpager.widget.ViewPager", (0, 0, SCREEN_W, 2205), scrollable=True,
              *[N("FrameLayout", (0, 0, SCREEN_W, 2205),
                  N("TextView", (300, STATUS_H + 20, 520, STATUS_H + 110), text=self.t("following_tab"),
                    desc=self.t("following_tab"), action="noop:"),
                  N("TextView", (560, STATUS_H + 20, 780, STATUS_H + 110), text=self.t("for_you"),
                    desc=self.t("for_you"), selected=True, action="noop:"),
                  N("ImageView", (950, STATUS_H + 20, 1060, STATUS_H + 110), desc=self.t("search"),
                    rid=P + "irz", action="search:"),
                  N("Button", (940, 1200, 1060, 1320), desc=self.t("like"), action="noop:"),
                  N("Button", (940, 1380, 1060, 1500), desc=self.t("comment"), action="noop:"),
                  N("TextView", (32, 1900, 700, 1960), text=f"@{author}", action=f"user:{author}"),
                  *self._upload_banner())]),
            self._bottom_nav("home"),
        ]

    def _screen_search(self) -> list[Node]:
        # taktik-bot search selectors ("Search input page" dump, 2026-01): EditText :id/giv with
        # hint "Rechercher"/"Search", back :id/b9c, submit :id/y61 ("Rechercher"/"Search");
        # tt4703_fr_search_field.xml for the layout. Text typed shows in the EditText.
        value = self.fields.get("search", "")
        focused = self.focus == "search"
        return [N("LinearLayout", (0, STATUS_H, SCREEN_W, STATUS_H + 130),
                  N("ImageView", (0, STATUS_H + 10, 110, STATUS_H + 120), desc=self.t("back"), rid=P + "b9c",
                    action="close:"),
                  N("EditText", (120, STATUS_H + 20, 880, STATUS_H + 110), text=value or self.t("search"),
                    hint=self.t("search"), rid=P + "giv", focused=focused, focusable=True,
                    action="focus:search"),
                  N("TextView", (890, STATUS_H + 20, 1060, STATUS_H + 110), text=self.t("search"),
                    rid=P + "y61", action="do_search:"))]

    def _screen_search_results(self) -> list[Node]:
        # tt4703_fr_search_users.xml (47.0.3 user rows: Button > RelativeLayout :id/ve6 with
        # :id/tv_username, :id/tv_aweme_id, :id/tv_desc and the follow Button :id/u9f
        # "Suivre"/"Suivis") and tt4703_fr_search_top_results.xml for the tab strip.
        q = self.frame.params["q"]
        tab = self.frame.params.get("tab", "top")
        header = N("LinearLayout", (0, STATUS_H, SCREEN_W, STATUS_H + 130),
                   N("ImageView", (0, STATUS_H + 10, 110, STATUS_H + 120), desc=self.t("back"), rid=P + "b9c",
                     action="close:"),
                   N("EditText", (120, STATUS_H + 20, 1060, STATUS_H + 110), text=q, rid=P + "giv",
                     focusable=True, action="focus:search"))
        tabs = N("HorizontalScrollView", (0, 262, SCREEN_W, 373),
                 *[N("TextView", (i * 270, 272, (i + 1) * 270, 363), text=self.t(k), selected=tab == k2,
                     action=f"results_tab:{k2}")
                   for i, (k, k2) in enumerate([("top", "top"), ("users", "users"), ("videos_tab", "videos"),
                                                ("sounds_tab", "sounds")])])
        if tab == "sounds":
            return [header, tabs, self._sound_rows(q)]
        users = self.search_users(q, ["_official", ".fan", "_tv"])
        users = users if tab == "users" else users[:1]
        rows = []
        for i, b in self.rows_in_view(len(users), 394, 195, NAV_TOP):
            user = users[i]
            followed = self.accounts.is_following(user)
            label = self.t("following_btn").strip() if followed else self.t("follow")
            rows.append(N("Button", (0, b, SCREEN_W, b + 195),
                          N("RelativeLayout", (0, b, SCREEN_W, b + 195),
                            N("X.05wq", (45, b + 24, 192, b + 171), rid=P + "lwz", action=f"user:{user}"),
                            N("LinearLayout", (226, b + 30, 775, b + 164),
                              N("TextView", (226, b + 30, 600, b + 80), text=f"\u200e\u2068{user}\u2069",
                                rid=P + "tv_username"),
                              N("TextView", (226, b + 80, 775, b + 122), text=user.replace("_", " ").title(),
                                rid=P + "tv_aweme_id"),
                              N("TextView", (226, b + 122, 734, b + 164),
                                text=f"{_count(user, 900) + 1}\u00a0followers", rid=P + "tv_desc"),
                              rid=P + "mzh"),
                            N("FrameLayout", (807, b + 53, 1038, b + 137),
                              N("Button", (807, b + 53, 1038, b + 137), text=label, rid=P + "u9f",
                                action=f"{'unfollow' if followed else 'follow'}:{user}"),
                              rid=P + "yr4"),
                            rid=P + "ve6", action=f"user:{user}"),
                          action=f"user:{user}"))
        return [header, tabs, N("androidx.recyclerview.widget.RecyclerView", (0, 373, SCREEN_W, NAV_TOP),
                                 *rows, scrollable=True)]

    def _sound_rows(self, q: str) -> Node:
        # taktik-bot surfaces/video/sound.py (measured on 46.6.3, fr): the Sounds tab's rows carry
        # no readable title, only a "Créer une publication avec ce son" / "Create a post with this
        # sound" button each. Row layout hand-written.
        rows = []
        for n, i in enumerate(self.sound_results(q)):
            b = 394 + n * 220
            rows.append(N("FrameLayout", (0, b, SCREEN_W, b + 220),
                          N("ImageView", (42, b + 20, 222, b + 200)),
                          N("Button", (860, b + 60, 1038, b + 160), desc=self.t("create_with_sound"),
                            action=f"use_sound:{i}"),
                          action="noop:"))
        return N("androidx.recyclerview.widget.RecyclerView", (0, 373, SCREEN_W, NAV_TOP), *rows, scrollable=True)

    def _profile_header(self, user: str, own: bool) -> list[Node]:
        # tt4703_fr_profile_followed.xml (47.0.3, fr): display-name Button, "@user" Button :id/t3y,
        # three stat groups (:id/t8_ value, :id/t89 label), action row of clickable LinearLayouts
        # whose label is a TextView :id/fmp ("Message", "Suivis "), tabs with content-desc
        # "Vidéos" / "Vidéos republiées" and the video GridView :id/i_i.
        following = len(self.accounts.follows.get(user, [])) if own else _count(user + "f", 500)
        stats = [(str(following), "stat_following"), (f"{_count(user, 9000)}", "stat_followers"),
                 (f"{_count(user + 'l', 90000)}", "stat_likes")]
        stat_nodes = []
        for i, (value, key) in enumerate(stats):
            x = 42 + i * 240
            stat_nodes.append(N("LinearLayout", (x, 456, x + 220, 542),
                                N("TextView", (x, 456, x + 220, 506), text=value, rid=P + "t8_"),
                                N("TextView", (x, 503, x + 220, 542), text=self.t(key), rid=P + "t89"),
                                action="noop:"))
        if own:
            actions = [N("LinearLayout", (42, 584, 1038, 689),
                         N("Button", (42, 584, 649, 689), text=self.t("edit_profile"), action="noop:"))]
        elif self.accounts.is_following(user):
            actions = [N("LinearLayout", (42, 584, 1038, 689),
                         N("LinearLayout", (42, 584, 649, 689),
                           N("TextView", (267, 584, 435, 689), text=self.t("message"), rid=P + "fmp"),
                           action="noop:"),
                         N("LinearLayout", (670, 584, 912, 689),
                           N("TextView", (723, 584, 870, 689), text=self.t("following_btn"), rid=P + "fmp"),
                           action=f"unfollow:{user}"))]
        else:
            # Not-followed state, as tt47_fr_profile_follows_us_no_message_entry (47.x) draws it: a
            # TextView :id/fmp "Suivre" inside a clickable LinearLayout (the touch goes to the layout).
            actions = [N("LinearLayout", (42, 584, 1038, 689),
                         N("LinearLayout", (42, 584, 649, 689),
                           N("TextView", (267, 584, 435, 689), text=self.t("follow"), rid=P + "fmp"),
                           action=f"follow:{user}"),
                         N("LinearLayout", (670, 584, 912, 689),
                           N("TextView", (723, 584, 870, 689), text=self.t("message"), rid=P + "fmp"),
                           action="noop:"))]
        title = N("LinearLayout", (42, 380, 754, 419),
                  N("Button", (42, 380, 500, 419), text=f"@{user}", rid=P + "t3y",
                    action="switcher:" if own else "noop:"))
        return [N("LinearLayout", (0, 269, SCREEN_W, 910),
                  N("LinearLayout", (42, 269, 1080, 563),
                    N("LinearLayout", (42, 275, 754, 542),
                      N("LinearLayout", (42, 275, 600, 375),
                        N("Button", (42, 275, 600, 375), text=user.replace("_", " ").title(), action="noop:")),
                      title,
                      N("LinearLayout", (42, 456, 754, 542), *stat_nodes),
                      rid=P + "t5q"),
                    rid=P + "t5o"),
                  *actions,
                  rid=P + "t82"),
                N("HorizontalScrollView", (42, 936, 1038, 1041),
                  N("RelativeLayout", (42, 936, 540, 1041), desc=self.t("videos"), selected=True, action="noop:"),
                  N("RelativeLayout", (540, 936, 1038, 1041), desc=self.t("reposts"), action="noop:"),
                  rid=P + "z0j"),
                N("GridView", (0, 1042, SCREEN_W, 2205), rid=P + "i_i", scrollable=True)]

    def _screen_profile(self) -> list[Node]:
        user = self.frame.params["user"]
        back = N("ImageView", (21, 148, 131, 253), desc=self.t("back"), action="close:")
        return [back, *self._profile_header(user, own=False)]

    def _screen_own_profile(self) -> list[Node]:
        # tt4314_fr_own_profile.xml / tt4703_fr_own_profile_not_recommended.xml: same header as a
        # profile with an "Edit"/"Modifier" button; the @username opens the account switcher here.
        me = self.accounts.current
        top = N("LinearLayout", (200, 150, 880, 250),
                N("TextView", (300, 160, 780, 240), text=me, action="switcher:"), action="switcher:")
        return [top, *self._profile_header(me, own=True), self._bottom_nav("profile")]

    def _screen_switcher(self) -> list[Node]:
        # LEAST CERTAIN: no real TikTok switcher dump was found (shared/notes/real-app-dumps.md).
        # Hand-written: bottom sheet titled "Switch account"/"Changer de compte", one row per
        # logged-in account (text and content-desc = username, current one selected) and an
        # "Add account"/"Ajouter un compte" row.
        rows = []
        y = 1500
        for user in self.accounts.accounts:
            rows.append(N("LinearLayout", (0, y, SCREEN_W, y + 150),
                          N("TextView", (200, y + 40, 900, y + 110), text=user), desc=user,
                          selected=user == self.accounts.current, action=f"switch:{user}"))
            y += 150
        rows.append(N("LinearLayout", (0, y, SCREEN_W, y + 150),
                      N("TextView", (200, y + 40, 900, y + 110), text=self.t("add_account")),
                      action="noop:"))
        return [N("FrameLayout", (0, 1380, SCREEN_W, NAV_TOP),
                  N("TextView", (300, 1400, 780, 1480), text=self.t("switch_account")),
                  N("ImageView", (960, 1400, 1060, 1480), desc=self.t("close"), action="close:"),
                  *rows, desc="Bottom sheet")]

    def _screen_camera(self) -> list[Node]:
        # Drawn by hand only for what no real dump shows (another language or version, or a sound
        # chosen on its page: the top pill then shows that sound's name); see SCREENS.toml for the
        # real ones. As tt4703_fr_publish_camera.xml: the gallery entry left of the shutter is a
        # FrameLayout :id/upload_hot_area with no text or desc.
        return [N("FrameLayout", FULL,
                  N("ImageView", (21, 148, 131, 253), desc=self.t("close"), action="close:"),
                  N("TextView", (380, 150, 700, 240), text=self.draft.get("sound") or self.t("add_sound"),
                    action="noop:"),
                  N("FrameLayout", (0, 2118, 210, 2314),
                    N("ImageView", (40, 2150, 170, 2280)),
                    rid=P + "upload_hot_area", action="upload:"))]

    def _screen_gallery(self) -> list[Node]:
        # tt4703_fr_publish_gallery.xml + tt4703_fr_publish_gallery_selected.xml: tabs
        # (Tout/Vidéos/Photos), a GridView (:id/i8o in taktik's catalogue) of thumbnails
        # (:id/mub) each with a selection circle, and "Suivant"/"Next" once something is selected.
        selected: list[str] = self.frame.params.get("selected", [])
        items = self.gallery()
        cells = []
        size = SCREEN_W // 4
        for i, path in enumerate(items[:24]):
            x, y = (i % 4) * size, 400 + (i // 4) * size
            video = "Vidéo" if self.lang == "fr" else "Video"
            kind = video if self.is_video(path) else "Photo"
            number = selected.index(path) + 1 if path in selected else 0
            cells.append(N("FrameLayout", (x, y, x + size, y + size),
                           N("ImageView", (x, y, x + size, y + size), rid=P + "mub", desc=kind, action=f"pick:{i}"),
                           N("TextView", (x + size - 90, y + 10, x + size - 10, y + 90),
                             text=str(number) if number else "", desc=self.t("select"), checkable=True,
                             checked=bool(number), action=f"pick:{i}")))
        nodes = [N("ImageView", (21, 148, 131, 253), desc=self.t("close"), action="close:"),
                 N("HorizontalScrollView", (0, 280, SCREEN_W, 390),
                   *[N("TextView", (i * 360, 290, (i + 1) * 360, 380), text=t, selected=i == 0, action="noop:")
                     for i, t in enumerate([self.t("all"), self.t("videos_tab"), self.t("photos")])]),
                 N("GridView", (0, 400, SCREEN_W, 2100), *cells, rid=P + "i8o", scrollable=True)]
        if selected:
            nodes.append(N("Button", (700, 2150, 1050, 2280), text=self.t("next"), action="next:"))
        return nodes

    def _screen_editor(self) -> list[Node]:
        # tt4703_fr_publish_editor_sound.xml / _editor_no_sound.xml: preview, "Ajouter un son" (or
        # the chosen sound's name) at the top, right-side tools, "Suivant"/"Next" at the bottom.
        # The "Volume" tool is hand-written (no dump shows TikTok's volume sheet).
        sound = self.draft.get("sound")
        return [N("FrameLayout", FULL,
                  N("ImageView", (21, 148, 131, 253), desc=self.t("back"), action="close:"),
                  N("LinearLayout", (330, 150, 750, 240),
                    N("TextView", (380, 160, 740, 230), text=sound or self.t("add_sound")),
                    desc=self.t("add_sound"), action="add_sound:"),
                  N("LinearLayout", (940, 600, 1060, 740),
                    N("TextView", (940, 700, 1060, 740), text=self.t("volume")),
                    desc=self.t("volume"), action="volume:"),
                  N("Button", (700, 2150, 1050, 2280), text=self.t("next"), action="next:"))]

    def _screen_sounds(self) -> list[Node]:
        # Sound sheet opened from the editor (hand-written). Each row is clickable; its
        # content-desc follows the video screen's measured sound row (:id/pgx, "Son : Umbrella
        # par Rihanna" on 46.6.3) and its TextView shows "title - artist".
        rows = []
        for i, (title, artist) in enumerate(SOUNDS):
            y = 1200 + i * 160
            rows.append(N("LinearLayout", (0, y, SCREEN_W, y + 160),
                          N("TextView", (200, y + 40, 1000, y + 120), text=sound_label(i)),
                          desc=f"{self.t('sound_prefix')}{title} {self.t('by')} {artist}", action=f"sound:{i}"))
        return [N("FrameLayout", (0, 1000, SCREEN_W, NAV_TOP),
                  N("TextView", (400, 1050, 700, 1130), text=self.t("sounds")), *rows, desc="Bottom sheet")]

    def _screen_volume(self) -> list[Node]:
        # Hand-written (no real dump): the editor's volume sheet, one slider per track.
        return self.volume_sheet(self.t("volume"), {"original": self.t("original_sound"),
                                                    "added": self.t("added_sound")}, self.t("done"))

    def _screen_add_link(self) -> list[Node]:
        # Hand-written (no real dump): the post screen's "Add link" sheet; "Product" links a
        # TikTok Shop showcase item.
        return [N("FrameLayout", (0, 1500, SCREEN_W, SCREEN_H),
                  N("TextView", (60, 1540, 700, 1620), text=self.t("add_link")),
                  N("LinearLayout", (0, 1660, SCREEN_W, 1800),
                    N("TextView", (60, 1700, 1000, 1770), text=self.t("product")), action="link_product:"),
                  desc="Bottom sheet")]

    def _screen_products(self) -> list[Node]:
        # Hand-written (no real dump): the account's showcase, a title and an "Add" button per product.
        rows = []
        for i, name in enumerate(self.showcase()):
            y = 400 + i * 200
            rows.append(N("LinearLayout", (0, y, SCREEN_W, y + 200),
                          N("TextView", (60, y + 40, 760, y + 120), text=name),
                          N("Button", (800, y + 50, 1020, y + 150), text=self.t("add"),
                            action=f"add_product:{i}")))
        return [N("ImageView", (21, 148, 131, 253), desc=self.t("back"), action="close:"),
                N("TextView", (200, 160, 880, 240), text=self.t("showcase")), *rows]

    def _screen_compose(self) -> list[Node]:
        # tt4703_fr_publish_post_screen.xml / tt4314_publish_post_screen.xml: caption EditText
        # :id/g19 (hint "Ajouter une description..."), "Brouillons" and the post Button :id/qrb
        # ("Publier"/"Post").
        caption = self.fields.get("caption", "")
        return [N("ImageView", (21, 148, 131, 253), desc=self.t("back"), action="close:"),
                N("EditText", (42, 300, 760, 700), text=caption or self.t("caption_hint"),
                  hint=self.t("caption_hint"), rid=P + "g19", focused=self.focus == "caption",
                  action="focus:caption"),
                N("ImageView", (800, 300, 1038, 620), desc="cover"),
                *self._link_row(),
                N("Button", (42, 2150, 520, 2280), text=self.t("drafts"), action="noop:"),
                N("Button", (560, 2150, 1038, 2280), text=self.t("post"), rid=P + "qrb", action="post:")]

    def _link_row(self) -> list[Node]:
        # Hand-written: "Add link" shows only for accounts that can link products; once one is
        # added the row shows its name.
        if not self.showcase():
            return []
        product = self.draft.get("product")
        return [N("LinearLayout", (42, 760, 1038, 880),
                  N("TextView", (100, 790, 1000, 850), text=product or self.t("add_link")),
                  desc=self.t("add_link"), action="add_link:")]

    def _dialog(self, kind: str) -> Node:
        # tt4314_fr_update_prompt.xml (update offer) and taktik-bot popup selectors
        # ("Pas maintenant"/"Not now" Buttons) for the "not now" prompts.
        if kind == "blocked":
            # Hand-written (no real dump): TikTok's rate-limit notice with an OK button.
            return N("FrameLayout", FULL,  # modal: taps outside its buttons do nothing
                     N("LinearLayout", (80, 900, 1000, 1560),
                       N("TextView", (120, 960, 960, 1160), text=self.t("blocked_title")),
                       N("Button", (120, 1400, 960, 1520), text="OK", action="dialog:")), action="modal:")
        title = self.t("update_title") if kind == "update" else self.t("contacts_title")
        buttons = [N("Button", (120, 1400, 960, 1520), text=self.t("not_now"), action="dialog:")]
        if kind == "update":
            buttons.insert(0, N("Button", (120, 1260, 960, 1380), text=self.t("update"), action="dialog:"))
        return N("FrameLayout", FULL,  # modal: taps outside its buttons do nothing
                 N("LinearLayout", (80, 900, 1000, 1560),
                   N("TextView", (120, 960, 960, 1160), text=title), *buttons), action="modal:")
