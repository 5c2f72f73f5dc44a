"""Simulated Instagram (com.instagram.android 410.0.0.53.71): feed, profiles, search, posting
(post / reel / story), the account switcher and interrupting dialogs.

Each ``_screen_*`` method's header comment names the real dump it follows
(masterFuf/taktik-bot tests/unit/social_media/instagram/fixtures/ig410_*.xml) or,
for ids, GramAddict/bot GramAddict/core/resources.py. Instagram ids are
descriptive and fairly stable; texts differ per language.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlparse

from tikmatrixd.sim.apps.base import App, permission_window
from tikmatrixd.sim.state import INSTAGRAM
from tikmatrixd.sim.ui import NAV_TOP, SCREEN_H, SCREEN_W, STATUS_H, N, Node, app_window

P = INSTAGRAM + ":id/"
FULL = (0, 0, SCREEN_W, SCREEN_H)

T = {
    "en": {
        "home": "Home", "reels": "Reels", "search_tab": "Search and explore", "profile": "Profile",
        "create": "Create", "search": "Search", "back": "Back", "options": "Options",
        "posts": "posts", "followers": "followers", "following": "following",
        "follow": "Follow", "following_btn": "Following", "follow_back": "Follow back", "message": "Message",
        "unfollow": "Unfollow", "edit_profile": "Edit profile", "share_profile": "Share profile",
        "new_post": "New post", "next": "Next", "dest_post": "POST", "dest_story": "STORY", "dest_reel": "REEL",
        "select_multiple": "Select multiple", "selected": "Selected media number", "add_audio": "Add audio",
        "caption_hint": "Write a caption...", "share": "Share", "your_story": "Your story",
        "sharing": "Sharing...", "add_account": "Add Instagram account", "accounts_center": "Go to Accounts Center",
        "cancel": "Cancel", "not_now": "Not Now", "notif_title": "Turn on notifications",
        "turn_on": "Turn On", "update_title": "Update Instagram", "update": "Update",
        "perm_text": "Allow Instagram to access photos and videos on this device?", "allow": "Allow",
        "deny": "Don\u2019t allow", "photo": "Photo", "video": "Video", "audio": "Audio",
        "blocked_title": "Try Again Later", "volume": "Volume", "camera_audio": "Camera audio",
        "music": "Music", "done": "Done", "search_music": "Search music",
        "info_title": "Your stories can now reach more people",
    },
    "fr": {
        "home": "Accueil", "reels": "Reels", "search_tab": "Rechercher et explorer", "profile": "Profil",
        "create": "Créer", "search": "Rechercher", "back": "Retour", "options": "Options",
        "posts": "publications", "followers": "followers", "following": "suivi(e)s",
        "follow": "Suivre", "following_btn": "Abonné(e)", "follow_back": "Suivre en retour",
        "message": "Message", "unfollow": "Ne plus suivre", "edit_profile": "Modifier le profil",
        "share_profile": "Partager le profil", "new_post": "Nouvelle publication", "next": "Suivant",
        "dest_post": "PUBLICATION", "dest_story": "STORY", "dest_reel": "REEL",
        "select_multiple": "Sélectionner plusieurs", "selected": "Selected media number",
        "add_audio": "Ajouter un audio", "caption_hint": "Écrivez une légende...", "share": "Partager",
        "your_story": "Votre story", "sharing": "Partage en cours...",
        "add_account": "Ajouter un compte Instagram", "accounts_center": "Accéder à l’Espace Comptes",
        "cancel": "Annuler", "not_now": "Pas maintenant", "notif_title": "Activer les notifications",
        "turn_on": "Activer", "update_title": "Mettre à jour Instagram", "update": "Mettre à jour",
        "perm_text": "Autoriser Instagram à accéder aux photos et vidéos de cet appareil ?",
        "allow": "Autoriser", "deny": "Ne pas autoriser", "photo": "Photo", "video": "Vidéo", "audio": "Audio",
        "blocked_title": "Réessayer plus tard", "volume": "Volume", "camera_audio": "Audio de la caméra",
        "music": "Musique", "done": "OK", "search_music": "Rechercher de la musique",
        "info_title": "Vos stories peuvent désormais toucher plus de personnes",
    },
}
AUDIO = ("Trending audio 1", "Original audio", "Lo-fi beats")
#: Instagram's share targets for ACTION_SEND: Feed, Reels and Stories entries of the share sheet.
SHARE_ACTIVITIES = {"com.instagram.share.handleractivity.ShareHandlerActivity": "post",
                    "com.instagram.share.handleractivity.ClipsShareHandlerActivity": "reel",
                    "com.instagram.share.handleractivity.StoryShareHandlerActivity": "story"}


def _count(seed: str, top: int) -> int:
    return int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16) % top


class Instagram(App):
    app = "instagram"
    package = INSTAGRAM
    activity = "com.instagram.mainactivity.InstagramMainActivity"
    popup_screens = ("feed", "profile", "own_profile", "explore")

    def dialogs(self) -> list[str]:
        return ["not_now", "update", "permission", "info"]

    def t(self, key: str) -> str:
        return T[self.lang][key]

    def open_url(self, url: str) -> bool:
        parsed = urlparse(url)
        host = (parsed.hostname or "").lower()
        if not (host.endswith("instagram.com") or host == "instagr.am"):
            return False
        self.running = True
        self.reset()
        match = re.match(r"^/([A-Za-z0-9._]+)/?$", parsed.path)
        if match and match.group(1) not in ("p", "reel", "explore", "accounts"):
            self.on_user(match.group(1))
        return True

    # -- navigation --------------------------------------------------------
    def on_tab(self, arg: str) -> None:
        if arg == "home":
            self.reset("feed")
        elif arg == "search":
            self.reset("explore")
        elif arg == "profile":
            self.reset("own_profile")

    def changed(self, field_name: str) -> None:
        if field_name == "search":
            self.frame.params["q"] = self.fields.get("search", "")

    def submit(self, field_name: str) -> None:
        if field_name == "caption":
            self.focus = None

    def on_following(self, user: str) -> None:
        self.dialog = f"unfollow_sheet:{user}"

    def on_unfollow(self, user: str) -> None:
        self.dialog = None
        self.accounts.unfollow(user)

    def on_switcher(self, _: str) -> None:
        self.dialog = "switcher"

    def on_switch(self, user: str) -> None:
        self.dialog = None
        if user in self.accounts.accounts:
            self.accounts.current = user
        self.reset("own_profile")

    def on_close(self, _: str) -> None:
        self.back()

    def on_noop(self, _: str) -> None:
        pass

    # -- post flow ---------------------------------------------------------
    def receive_share(self, path: str, activity: str) -> bool:
        dest = SHARE_ACTIVITIES.get(activity or "com.instagram.share.handleractivity.ShareHandlerActivity")
        if dest is None:
            return False
        self.running = True
        self.reset()
        self.start_draft("share")
        if dest == "story":
            self.goto("story_editor", media=[path])
        elif dest == "reel":
            self.goto("reel_editor", media=[path])
        else:
            self.fields["caption"] = ""
            self.goto("composer", media=[path], dest="post")
        return True

    def on_create(self, _: str) -> None:
        self.start_draft("app")
        self.goto("new_post", selected=[], multi=False, dest="post")

    def on_multi(self, _: str) -> None:
        params = self.frame.params
        params["multi"] = not params.get("multi")
        if not params["multi"]:
            params["selected"] = params["selected"][:1]

    def on_dest(self, dest: str) -> None:
        self.frame.params["dest"] = dest

    def on_pick(self, index: str) -> None:
        items = self.gallery()
        i = int(index)
        if i >= len(items):
            return
        params = self.frame.params
        path = items[i]
        selected: list[str] = params["selected"]
        if not params.get("multi"):
            params["selected"] = [path]
        elif path in selected:
            selected.remove(path)
        else:
            selected.append(path)

    def on_next(self, _: str) -> None:
        params = self.frame.params
        if self.screen == "new_post":
            media = params["selected"] or self.gallery()[:1]
            if not media:
                return
            dest = params.get("dest", "post")
            if dest == "story":
                self.goto("story_editor", media=media)
            elif dest == "reel":
                self.goto("reel_editor", media=media)
            else:
                self.fields["caption"] = ""
                self.goto("composer", media=media, dest="post")
        elif self.screen == "reel_editor":
            self.fields["caption"] = ""
            self.goto("composer", media=params["media"], dest="reel")

    def on_audio(self, _: str) -> None:
        self.goto("audio")

    def on_pick_audio(self, index: str) -> None:
        self.stack.pop()
        self.draft["sound"] = AUDIO[int(index)]

    def on_share(self, _: str) -> None:
        params = self.frame.params
        self.record_post(params["media"], self.fields.get("caption", ""), params["dest"])
        self.fields["caption"] = ""
        self.reset("feed")

    def on_share_story(self, _: str) -> None:
        self.record_post(self.frame.params["media"], "", "story")
        self.reset("feed")

    # -- rendering -----------------------------------------------------------
    def screen_names(self) -> list[str]:
        return ["feed", "explore", "profile", "own_profile", "new_post", "reel_editor", "audio", "volume",
                "composer", "story_editor"]

    def real_state(self) -> tuple[str, str, str]:
        screen = self.screen
        if screen == "profile":
            user = self.frame.params["user"]
            return screen, "followed" if self.accounts.is_following(user) else "not_followed", user
        if screen == "own_profile":
            return screen, "", self.accounts.current
        if screen == "feed" and self.uploading:
            return "uploading", "", ""
        return screen, "", ""

    def render(self) -> list[Node]:
        real = self.real_windows()
        overlays = []
        if self.dialog == "switcher":
            overlays.append(self._switcher())
        elif self.dialog and self.dialog.startswith("unfollow_sheet:"):
            overlays.append(self._unfollow_sheet(self.dialog.split(":", 1)[1]))
        elif self.dialog in ("not_now", "update", "blocked", "info"):
            overlays.append(self._dialog(self.dialog))
        real_dialog = self.real_windows("dialog", "story_share_info") if self.dialog == "info" else None
        if real_dialog is not None:  # the real dump of that window, over the screen
            overlays = []
        if real is not None:
            windows = [*real, *(self.modal_window(overlay) for overlay in overlays)]
        else:
            windows = [app_window(self.package, *getattr(self, f"_screen_{self.screen}")(), *overlays)]
        windows += real_dialog or []
        if self.dialog == "permission":
            windows.append(permission_window(self.t("perm_text"), self.t("allow"), self.t("deny")))
        return windows

    def _tab_bar(self, selected: str) -> Node:
        # ig410_en_profile_following.xml + taktik-bot navigation selectors: tab bar :id/tab_bar with
        # :id/feed_tab ("Home"), :id/clips_tab ("Reels"), :id/search_tab ("Search and explore"),
        # :id/profile_tab ("Profile"/"Profil").
        tabs = [("feed_tab", "home", "tab:home"), ("clips_tab", "reels", "noop:"),
                ("search_tab", "search_tab", "tab:search"), ("profile_tab", "profile", "tab:profile")]
        w = SCREEN_W // len(tabs)
        return N("LinearLayout", (0, 2205, SCREEN_W, NAV_TOP),
                 *[N("FrameLayout", (i * w, 2205, (i + 1) * w, NAV_TOP), rid=P + rid, desc=self.t(key),
                     selected=key == selected, action=action)
                   for i, (rid, key, action) in enumerate(tabs)],
                 rid=P + "tab_bar")

    def _screen_feed(self) -> list[Node]:
        # ig410_en_home_feed_carousel_post.xml / ig410_en_feed_pending_post.xml: action bar with the
        # "+" (Create) in :id/action_bar_buttons_container_left, the feed list, the tab bar; a
        # pending post row ("Sharing...") while an upload runs.
        nodes = [N("LinearLayout", (0, STATUS_H, SCREEN_W, 280),
                   N("LinearLayout", (0, STATUS_H, 160, 280),
                     N("ImageView", (20, STATUS_H + 10, 150, 270), desc=self.t("create"), action="create:"),
                     rid=P + "action_bar_buttons_container_left"),
                   rid=P + "action_bar_container")]
        author = f"friend_{_count(self.accounts.current, 90) + 1}"
        feed = [N("LinearLayout", (0, 300, SCREEN_W, 440),
                  N("TextView", (160, 330, 700, 400), text=author, rid=P + "row_feed_photo_profile_name",
                    action=f"user:{author}"),
                  rid=P + "row_feed_profile_header"),
                N("ImageView", (0, 440, SCREEN_W, 1520), rid=P + "row_feed_photo_imageview"),
                N("ImageView", (20, 1530, 130, 1640), rid=P + "row_feed_button_like", desc="Like",
                  action="noop:")]
        if self.uploading:
            feed.insert(0, N("TextView", (160, 290, 900, 300 + 60), text=self.t("sharing")))
        nodes.append(N("androidx.recyclerview.widget.RecyclerView", (0, 280, SCREEN_W, 2205), *feed,
                       rid="android:id/list", scrollable=True))
        nodes.append(self._tab_bar("home"))
        return nodes

    def _screen_explore(self) -> list[Node]:
        # ig410_fr_explore_search_bar.xml / ig410_en_search_keyboard_open.xml: EditText
        # :id/action_bar_search_edit_text (hint "Search"/"Rechercher"); ig410_fr_account_search_results.xml:
        # one row per account with :id/row_search_user_username (GramAddict resources.py).
        q = self.frame.params.get("q", "")
        nodes = [N("EditText", (44, STATUS_H + 20, 1036, STATUS_H + 130), text=q or self.t("search"),
                   hint=self.t("search"), rid=P + "action_bar_search_edit_text", focused=self.focus == "search",
                   action="focus:search")]
        rows = []
        if q.strip():
            users = self.search_users(q, ["_official", ".fans"])
            for i, y in self.rows_in_view(len(users), 300, 180, 2205):
                user = users[i]
                rows.append(N("LinearLayout", (0, y, SCREEN_W, y + 180),
                              N("ImageView", (44, y + 25, 174, y + 155)),
                              N("LinearLayout", (200, y + 30, 900, y + 150),
                                N("TextView", (200, y + 30, 900, y + 90), text=user,
                                  rid=P + "row_search_user_username"),
                                N("TextView", (200, y + 90, 900, y + 150), text=user.replace("_", " ").title(),
                                  rid=P + "row_search_user_fullname")),
                              action=f"user:{user}"))
        nodes.append(N("androidx.recyclerview.widget.RecyclerView", (0, 290, SCREEN_W, 2205), *rows,
                       rid="android:id/list", scrollable=True))
        nodes.append(self._tab_bar("search_tab"))
        return nodes

    def _header(self, user: str, own: bool) -> list[Node]:
        # ig410_en_profile_following.xml (410, en): :id/action_bar_title (text = content-desc =
        # username) in :id/action_bar_username_container, stat blocks
        # :id/profile_header_{post_count_front,followers_stacked,following_stacked}_familiar
        # (content-desc "278posts"), :id/profile_header_follow_button Button ("Following",
        # content-desc "Following <name>") and the Message Button :id/button_container.
        name = user.replace("_", " ").title()
        posts = sum(1 for p in self.dev.state.posts if p.app == self.package and p.account == user)
        following = len(self.accounts.follows.get(user, [])) if own else _count(user + "g", 900)
        stats = [("profile_header_post_count_front_familiar", str(posts if own else _count(user, 300)), "posts"),
                 ("profile_header_followers_stacked_familiar", str(_count(user + "f", 5000)), "followers"),
                 ("profile_header_following_stacked_familiar", str(following), "following")]
        stat_nodes = []
        for i, (rid, value, key) in enumerate(stats):
            x = 351 + i * 228
            stat_nodes.append(N("", (x, 322, x + 228, 471),
                                N("TextView", (x, 344, x + 200, 400), text=value),
                                N("TextView", (x, 400, x + 200, 449), text=self.t(key)),
                                rid=P + rid, desc=f"{value}{self.t(key)}", action="noop:"))
        for node in stat_nodes:
            node.cls = ""  # real dump: these compose views have an empty class
        if own:
            buttons = [N("Button", (33, 966, 532, 1054), text=self.t("edit_profile"), action="noop:"),
                       N("Button", (548, 966, 1047, 1054), text=self.t("share_profile"), action="noop:")]
        else:
            if self.accounts.is_following(user):
                label, action = self.t("following_btn"), f"following:{user}"
            else:
                follows_me = user in self.dev.state.apps[self.package].follows.get(user, [])
                label, action = (self.t("follow_back") if follows_me else self.t("follow")), f"follow:{user}"
            buttons = [N("android.view.ViewGroup", (33, 966, 532, 1054),
                         N("Button", (33, 966, 532, 1054), text=label, desc=f"{label} {name}",
                           rid=P + "profile_header_follow_button", action=action, long_clickable=True),
                         rid=P + "profile_header_user_action_follow_button"),
                       N("android.view.ViewGroup", (548, 966, 1047, 1054),
                         N("Button", (548, 966, 1047, 1054),
                           N("TextView", (714, 985, 881, 1035), text=self.t("message")),
                           desc=self.t("message"), rid=P + "button_container", action="noop:"))]
        if own:
            title = N("LinearLayout", (44, 77 + 55, 700, 231 + 55),
                      N("TextView", (44, 132, 600, 286), text=user, rid=P + "action_bar_large_title_auto_size"),
                      N("ImageView", (600, 180, 650, 230), rid=P + "action_bar_title_chevron"),
                      rid=P + "action_bar_new_title_container", action="switcher:")
        else:
            title = N("LinearLayout", (0, 132, SCREEN_W, 286),
                      N("LinearLayout", (0, 132, 132, 286),
                        N("ImageView", (0, 132, 132, 286), desc=self.t("back"), action="close:"),
                        rid=P + "left_action_bar_buttons"),
                      N("LinearLayout", (176, 132, 794, 286),
                        N("TextView", (176, 132, 526, 286), text=user, desc=user, rid=P + "action_bar_title"),
                        rid=P + "action_bar_username_container", action="noop:"),
                      N("ImageView", (926, 132, 1058, 286), desc=self.t("options"), action="noop:"),
                      rid=P + "profile_action_bar")
        return [title,
                N("LinearLayout", (0, 286, SCREEN_W, 1536),
                  N("android.view.ViewGroup", (0, 286, SCREEN_W, 966),
                    N("FrameLayout", (65, 300, 286, 473), rid=P + "row_profile_header_imageview_frame_layout",
                      action="noop:"),
                    N("TextView", (351, 286, 797, 322), text=name, rid=P + "profile_header_full_name_above_vanity"),
                    N("LinearLayout", (351, 322, 1036, 471), *stat_nodes, rid=P + "profile_header_metrics_full_width"),
                    rid=P + "row_profile_header"),
                  N("LinearLayout", (0, 966, SCREEN_W, 1054), *buttons, rid=P + "profile_header_actions_top_row"),
                  rid=P + "profile_header_container")]

    def _screen_profile(self) -> list[Node]:
        return [*self._header(self.frame.params["user"], own=False), self._tab_bar("")]

    def _screen_own_profile(self) -> list[Node]:
        # ig410_en_own_profile.xml: large title (:id/action_bar_large_title_auto_size) whose
        # container opens the account switcher; "Edit profile" / "Share profile".
        return [*self._header(self.accounts.current, own=True), self._tab_bar("profile")]

    def _switcher(self) -> Node:
        # ig410_en_account_switcher.xml / ig410_fr_account_switcher.xml: bottom sheet, rows are
        # ViewGroups with no id, content-desc = username (current one selected), then Buttons
        # "Add Instagram account" and "Go to Accounts Center"; drag handle content-desc "Cancel".
        rows = []
        y = 1439
        for user in self.accounts.accounts:
            rows.append(N("android.view.ViewGroup", (44, y, 1036, y + 176),
                          N("ImageView", (88, y + 33, 198, y + 143)),
                          N("android.view.View", (231, y + 59, 700, y + 117), text=user),
                          desc=user, selected=user == self.accounts.current, long_clickable=True,
                          action=f"switch:{user}"))
            y += 176
        rows.append(N("Button", (44, y, 1036, y + 176),
                      N("android.view.View", (231, y + 59, 697, y + 117), text=self.t("add_account")),
                      desc=self.t("add_account"), action="noop:"))
        rows.append(N("Button", (44, y + 176, 1036, y + 275),
                      N("android.view.View", (312, y + 199, 768, y + 251), text=self.t("accounts_center")),
                      desc=self.t("accounts_center"), action="noop:"))
        top = 1351 - 0
        return N("FrameLayout", (0, top, SCREEN_W, NAV_TOP),
                 N("FrameLayout", (474, top, 606, top + 44), desc=self.t("cancel"), action="close:"),
                 N("androidx.recyclerview.widget.RecyclerView", (0, top + 44, SCREEN_W, NAV_TOP), *rows))

    def _unfollow_sheet(self, user: str) -> Node:
        # GramAddict resources.py FOLLOW_SHEET_UNFOLLOW_ROW + taktik-bot unfollow selectors
        # ("Unfollow"/"Ne plus suivre"): sheet opened by the Following button.
        return N("FrameLayout", (0, 1500, SCREEN_W, NAV_TOP),
                 N("TextView", (44, 1540, 1036, 1620), text=user),
                 N("LinearLayout", (0, 2000, SCREEN_W, 2150),
                   N("TextView", (44, 2040, 1036, 2110), text=self.t("unfollow")),
                   rid=P + "follow_sheet_unfollow_row", action=f"unfollow:{user}"),
                 rid=P + "bottom_sheet_container_view")

    def _screen_new_post(self) -> list[Node]:
        # ig410_en_new_post_gallery_video_selected.xml: "New post" title, Next
        # (:id/next_button_textview), grid of :id/gallery_grid_item_thumbnail (content-desc says
        # "Selected media number N" when picked), multi-select :id/multi_select_slide_button_alt,
        # destination strip :id/cam_dest_feed / cam_dest_story / cam_dest_clips.
        params = self.frame.params
        selected: list[str] = params["selected"]
        items = self.gallery()
        cells = []
        size = SCREEN_W // 4
        for i, path in enumerate(items[:24]):
            x, y = (i % 4) * size, 1200 + (i // 4) * size
            kind = self.t("video") if self.is_video(path) else self.t("photo")
            desc = f"{kind}, {self.t('selected')} {selected.index(path) + 1}" if path in selected else kind
            cells.append(N("FrameLayout", (x, y, x + size, y + size),
                           N("ImageView", (x, y, x + size, y + size), rid=P + "gallery_grid_item_thumbnail",
                             desc=desc, selected=path in selected, action=f"pick:{i}")))
        dest = params.get("dest", "post")
        return [
            N("LinearLayout", (0, STATUS_H, SCREEN_W, 280),
              N("ImageView", (0, STATUS_H, 132, 280), desc=self.t("cancel"), action="close:"),
              N("TextView", (176, STATUS_H + 30, 700, 250), text=self.t("new_post")),
              N("TextView", (850, STATUS_H + 30, 1060, 250), text=self.t("next"), desc=self.t("next"),
                rid=P + "next_button_textview", action="next:")),
            N("ImageView", (0, 280, SCREEN_W, 1100), rid=P + "crop_image_view"),
            N("ImageView", (900, 1110, 1060, 1190), desc=self.t("select_multiple"),
              rid=P + "multi_select_slide_button_alt", selected=bool(params.get("multi")), action="multi:"),
            N("GridView", (0, 1200, SCREEN_W, 2150), *cells, rid=P + "gallery_recycler_view", scrollable=True),
            N("LinearLayout", (200, 2160, 880, 2230),
              *[N("TextView", (200 + i * 230, 2160, 420 + i * 230, 2230), text=self.t(f"dest_{d}"),
                  rid=P + rid, selected=dest == d, action=f"dest:{d}")
                for i, (d, rid) in enumerate([("post", "cam_dest_feed"), ("story", "cam_dest_story"),
                                              ("reel", "cam_dest_clips")])]),
        ]

    def _screen_reel_editor(self) -> list[Node]:
        # ig410_en_reel_editor.xml: preview, tool row with "Audio", Next with content-desc "Next"
        # on :id/clips_right_action_button.
        # The "Volume" tool is hand-written (no dump shows Instagram's mixer).
        sound = self.draft.get("sound")
        return [N("ImageView", (0, 0, SCREEN_W, 2000)),
                N("ImageView", (21, 148, 131, 253), desc=self.t("back"), action="close:"),
                N("LinearLayout", (40, 2040, 300, 2180),
                  N("TextView", (40, 2120, 300, 2180), text=sound or self.t("audio")),
                  desc=self.t("add_audio"), action="audio:"),
                N("LinearLayout", (320, 2040, 560, 2180),
                  N("TextView", (320, 2120, 560, 2180), text=self.t("volume")),
                  desc=self.t("volume"), action="volume:"),
                N("FrameLayout", (760, 2040, 1060, 2180),
                  N("TextView", (780, 2060, 1040, 2160), text=self.t("next")),
                  desc=self.t("next"), rid=P + "clips_right_action_button", action="next:")]

    def _screen_audio(self) -> list[Node]:
        # Audio browser (hand-written): a search field, then one clickable row per track whose
        # content-desc is the track's name (as Instagram's account-switcher rows carry theirs).
        return [N("EditText", (40, STATUS_H + 20, 1040, STATUS_H + 120), text=self.t("search_music"),
                  hint=self.t("search_music"), focusable=True),
                *[N("LinearLayout", (0, 600 + i * 170, SCREEN_W, 770 + i * 170),
                    N("TextView", (200, 640 + i * 170, 1000, 720 + i * 170), text=name), desc=name,
                    action=f"pick_audio:{i}")
                  for i, name in enumerate(AUDIO)]]

    def _screen_volume(self) -> list[Node]:
        # Hand-written (no real dump): the reel editor's volume sheet.
        return self.volume_sheet(self.t("volume"), {"original": self.t("camera_audio"), "added": self.t("music")},
                                 self.t("done"))

    def _screen_composer(self) -> list[Node]:
        # taktik-bot content_creation selectors (410): caption EditText :id/caption_input_text_view
        # (hint "Write a caption..."/"Écrivez une légende..."), Share :id/share_button.
        caption = self.fields.get("caption", "")
        return [N("LinearLayout", (0, STATUS_H, SCREEN_W, 280),
                  N("ImageView", (0, STATUS_H, 132, 280), desc=self.t("back"), action="close:"),
                  N("TextView", (176, STATUS_H + 30, 700, 250), text=self.t("new_post"))),
                N("ImageView", (44, 320, 344, 720), rid=P + "caption_image_view"),
                N("EditText", (44, 740, 1036, 1000), text=caption or self.t("caption_hint"),
                  hint=self.t("caption_hint"), rid=P + "caption_input_text_view",
                  focused=self.focus == "caption", action="focus:caption"),
                N("Button", (44, 2100, 1036, 2220), text=self.t("share"), rid=P + "share_button", action="share:")]

    def _screen_story_editor(self) -> list[Node]:
        # ig410_en_story_editor.xml: full-screen media, "Your story"/"Votre story" share target.
        return [N("ImageView", FULL),
                N("ImageView", (21, 148, 131, 253), desc=self.t("back"), action="close:"),
                N("FrameLayout", (40, 2150, 520, 2300),
                  N("TextView", (80, 2190, 500, 2260), text=self.t("your_story")),
                  desc=self.t("your_story"), action="share_story:")]

    def _dialog(self, kind: str) -> Node:
        # GramAddict resources (:id/dialog_root_view, :id/igds_headline_*) and taktik-bot popup
        # selectors ("Not Now"/"Pas maintenant" Buttons).
        if kind == "blocked":
            # Hand-written (no real dump): Instagram's action-block notice ("Try Again Later").
            return N("FrameLayout", FULL,  # modal: taps outside its buttons do nothing
                     N("LinearLayout", (80, 800, 1000, 1600),
                       N("TextView", (120, 860, 960, 1000), text=self.t("blocked_title"),
                         rid=P + "igds_headline_headline"),
                       N("Button", (120, 1440, 960, 1560), text="OK", rid=P + "primary_button", action="dialog:")),
                     rid=P + "dialog_root_view", action="modal:")
        if kind == "info":
            # As ig410_en_story_share_information_window (drawn by hand where that dump's
            # language is not the phone's): a notice with OK and "View settings".
            return N("FrameLayout", FULL,
                     N("LinearLayout", (80, 1300, 1000, 2000),
                       N("TextView", (133, 1335, 947, 1503), text=self.t("info_title"),
                         rid=P + "igds_headline_headline"),
                       N("FrameLayout", (133, 1725, 947, 1846), N("TextView", (513, 1760, 567, 1810), text="OK"),
                         desc="OK", rid=P + "igds_headline_primary_action_button", action="dialog:")),
                     action="modal:")
        if kind == "update":
            title, primary = self.t("update_title"), self.t("update")
        else:
            title, primary = self.t("notif_title"), self.t("turn_on")
        return N("FrameLayout", FULL,  # modal: taps outside its buttons do nothing
                 N("LinearLayout", (80, 800, 1000, 1600),
                   N("TextView", (120, 860, 960, 1000), text=title, rid=P + "igds_headline_headline"),
                   N("Button", (120, 1300, 960, 1420), text=primary, rid=P + "primary_button", action="dialog:"),
                   N("Button", (120, 1440, 960, 1560), text=self.t("not_now"), rid=P + "secondary_button",
                     action="dialog:"),
                   rid=P + "dialog_root_view"), action="modal:")
