// Hall board: keep the TV useful when the network or server blips.
// The standings fragment polls itself with htmx. When a poll fails, htmx leaves the old
// fragment in place and keeps polling; this script only says how old the figures are and
// refuses to swap in anything that is not a board fragment. It never reloads the page.
(function () {
  "use strict";
  var frame = document.querySelector("[data-board]");
  if (!frame) { return; }
  var note = frame.querySelector("[data-board-stale]");
  var clock = frame.querySelector("[data-board-clock]");
  var zone = frame.getAttribute("data-timezone") || undefined;
  var lastFresh = Date.now();
  var stale = false;

  function isBoardRequest(event) {
    var elt = event.detail && event.detail.elt;
    return !!(elt && elt.hasAttribute && elt.hasAttribute("data-board-fragment"));
  }

  function showStale() {
    var minutes = Math.floor((Date.now() - lastFresh) / 60000);
    var text = minutes < 1
      ? frame.getAttribute("data-stale-recent")
      : frame.getAttribute("data-stale-minutes").replace("{n}", String(minutes));
    note.textContent = text;
    note.hidden = false;
    stale = true;
  }

  function markFresh() {
    lastFresh = Date.now();
    stale = false;
    note.hidden = true;
  }

  function failed(event) {
    if (isBoardRequest(event)) { showStale(); }
  }

  document.body.addEventListener("htmx:sendError", failed);
  document.body.addEventListener("htmx:responseError", failed);
  document.body.addEventListener("htmx:timeout", failed);
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (!isBoardRequest(event)) { return; }
    var xhr = event.detail.xhr;
    // A proxy's error page or an empty reply must never replace the standings.
    if (xhr.status !== 200 || xhr.responseText.indexOf("data-board-fragment") === -1) {
      event.detail.shouldSwap = false;
      showStale();
    }
  });
  document.body.addEventListener("htmx:load", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.hasAttribute && elt.hasAttribute("data-board-fragment") && elt.isConnected) {
      markFresh();
    }
  });

  function tick() {
    if (clock) {
      try {
        clock.textContent = new Date().toLocaleTimeString("zh-CN", {
          hour: "2-digit", minute: "2-digit", hour12: false, timeZone: zone
        });
      } catch (e) { /* unknown zone: keep the server's time */ }
    }
    if (stale) { showStale(); }
  }
  setInterval(tick, 15000);
})();
