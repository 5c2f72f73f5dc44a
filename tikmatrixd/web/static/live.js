// Live updates: when the daemon reports a change, the page's live part is rendered again by the
// server and swapped in (no reload, nothing to keep in sync here). Without JavaScript the
// pages are the same, only not live.
(() => {
  "use strict";
  const banner = document.getElementById("live-banner");
  const KINDS = ["task", "device", "account", "tasks_created", "tasks_retried", "tasks_deleted"];
  let timer = null;
  let running = false;

  async function refresh() {
    if (running) { schedule(); return; }
    running = true;
    try {
      const response = await fetch(location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}});
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html").querySelector("[data-live]");
      const here = document.querySelector("[data-live]");
      const typing = here && document.activeElement !== document.body && here.contains(document.activeElement)
        && ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
      if (fresh && here && !typing) here.replaceWith(fresh);  // never under the user's fingers
    } catch (error) {
      // the next event tries again
    } finally {
      running = false;
    }
  }

  function schedule() {
    if (timer === null) timer = setTimeout(() => { timer = null; refresh(); }, 250);
  }

  if (!document.querySelector("[data-live]") || !window.EventSource) return;
  const source = new EventSource("/ui/events");
  source.addEventListener("open", () => { banner.hidden = true; schedule(); });
  source.addEventListener("error", () => { banner.hidden = false; });
  for (const kind of KINDS) source.addEventListener(kind, schedule);
  window.addEventListener("pagehide", () => source.close());
})();
