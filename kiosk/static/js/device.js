/* Hall kiosk and window pad: screens, resets, cooldown, offline queue, complaint keyboard.
 *
 * Taps are written to a queue in localStorage BEFORE they are sent, and removed once the
 * server has answered for them, so a tap survives a dropped network and a reload. The queue
 * holds only {key, level, window_id, invitation, tapped_at}: never complaint text or a phone
 * number, which live in the page's memory only and are sent at once or dropped.
 */
(function () {
  "use strict";

  var app = document.getElementById("device-app");
  if (!app) return;

  var QUEUE_KEY = "hallDevice.queue.v1";
  var SHELL_CACHE = "hall-device-v1";
  var PHONE = /^1[3-9]\d{9}$/;
  var data = app.dataset;
  var cfg = {
    kind: data.kind,
    home: data.home,
    thanksReset: Number(data.thanksReset) * 1000,
    idleReset: Number(data.idleReset) * 1000,
    cooldown: Number(data.cooldown) * 1000,
    ratingsUrl: data.ratingsUrl,
    unlockUrl: data.unlockUrl,
  };

  function $(selector, root) { return (root || app).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || app).querySelectorAll(selector)); }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID().replace(/-/g, "");
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  /* ---- the offline queue ------------------------------------------------------------ */

  function loadQueue() {
    try {
      var queue = JSON.parse(window.localStorage.getItem(QUEUE_KEY) || "[]");
      return Array.isArray(queue) ? queue : [];
    } catch (e) {
      return [];
    }
  }

  function saveQueue(queue) {
    window.localStorage.setItem(QUEUE_KEY, JSON.stringify(queue));
  }

  function enqueue(item) {
    var queue = loadQueue();
    queue.push({
      key: item.key,
      level: item.level,
      window_id: item.window_id,
      invitation: item.invitation || null,
      tapped_at: item.tapped_at,
    });
    saveQueue(queue);
  }

  function dequeue(key) {
    saveQueue(loadQueue().filter(function (item) { return item.key !== key; }));
  }

  function isQueued(key) {
    return loadQueue().some(function (item) { return item.key === key; });
  }

  var outcomes = {};  // key -> HTTP status of the server's answer
  var lastFlushFailed = false;
  var running = null;
  var rerun = false;

  function send(item) {
    var body = { key: item.key, level: item.level, tapped_at: item.tapped_at, sent_at: new Date().toISOString() };
    if (item.window_id !== null && item.window_id !== undefined) body.window_id = item.window_id;
    if (item.invitation) body.invitation = item.invitation;
    return fetch(cfg.ratingsUrl, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  // Kept for a later try: the network or server failed (no answer, 5xx), the device is not
  // paired (401: an admin can re-pair it and the taps go through), or it was throttled.
  function retryLater(status) {
    return status === 401 || status === 408 || status === 429 || status >= 500;
  }

  async function flushOnce() {
    var failed = false;
    var queue = loadQueue();
    for (var i = 0; i < queue.length; i++) {
      var item = queue[i];
      var response;
      try {
        response = await send(item);
      } catch (e) {
        failed = true;
        break;
      }
      if (retryLater(response.status)) {
        failed = true;
        break;
      }
      outcomes[item.key] = response.status;
      dequeue(item.key);
    }
    lastFlushFailed = failed;
    updateIndicator();
    return !failed;
  }

  /* Replay the queue; calls during a replay join it and make it run once more. */
  function flush() {
    if (running) {
      rerun = true;
      return running;
    }
    running = (async function () {
      var ok;
      do {
        rerun = false;
        ok = await flushOnce();
      } while (rerun && ok);
      return ok;
    })().finally(function () { running = null; });
    return running;
  }

  var indicator = $(".queue-indicator");
  function updateIndicator() {
    var waiting = loadQueue().length;
    indicator.hidden = waiting === 0;
    indicator.textContent = indicator.dataset.template.replace("{n}", String(waiting));
    indicator.dataset.count = String(waiting);
  }

  window.addEventListener("online", flush);
  window.setInterval(flush, 5000);

  /* ---- screens and the two resets -------------------------------------------------- */

  var screen = null;
  var idleTimer = null;
  var thanksTimer = null;
  var countdownTimer = null;
  var cooldownUntil = 0;
  var lastTouch = 0;

  function show(name) {
    screen = name;
    $all(".screen").forEach(function (section) { section.hidden = section.dataset.screen !== name; });
    window.clearTimeout(thanksTimer);
    window.clearInterval(countdownTimer);
    if (name === "thanks") startThanksCountdown();
    app.dataset.screen = name;
    touched();
  }

  function startThanksCountdown() {
    var countdown = $(".thanks-countdown");
    var endsAt = Date.now() + cfg.thanksReset;
    function paint() {
      var left = Math.max(0, Math.ceil((endsAt - Date.now()) / 1000));
      countdown.textContent = countdown.dataset.template.replace("{n}", String(left));
    }
    paint();
    countdownTimer = window.setInterval(paint, 1000);
    thanksTimer = window.setTimeout(goHome, cfg.thanksReset);
  }

  /* Any touch or key press, on-screen keyboard included, restarts the idle countdown. */
  function touched() {
    window.clearTimeout(idleTimer);
    if (screen !== cfg.home || (pinDialog && pinDialog.open)) {
      idleTimer = window.setTimeout(goHome, cfg.idleReset);
    }
  }
  ["pointerdown", "keydown", "input"].forEach(function (type) {
    document.addEventListener(type, function () {
      lastTouch = Date.now();
      touched();
    }, { capture: true, passive: true });
  });

  function goHome() {
    clearComplaint();
    closePin();
    current = null;
    var note = $(".thanks-note");
    note.hidden = true;
    note.textContent = "";
    if (hooks.home) hooks.home();
    else show(cfg.home);
  }

  /* ---- a rating --------------------------------------------------------------------- */

  var current = null;  // {key, level, window_id, invitation} of the tap being followed up
  var hooks = {};

  function cooling() {
    return Date.now() < cooldownUntil;
  }

  function rate(level, windowId, invitation) {
    var hint = $(".cooldown-hint", $("[data-screen='rate']"));
    if (cooling()) {
      hint.hidden = false;
      return;
    }
    hint.hidden = true;
    cooldownUntil = Date.now() + cfg.cooldown;
    current = {
      key: newKey(),
      level: level,
      window_id: windowId,
      invitation: invitation || null,
      tapped_at: new Date().toISOString(),
    };
    enqueue(current);
    updateIndicator();
    var key = current.key;
    var sent = flush();
    if (level <= 2) openComplaint();
    else show("thanks");
    sent.then(function () { afterSend(key); });
  }

  function afterSend(key) {
    if (!current || current.key !== key) return;
    var status = outcomes[key];
    var note = $(".thanks-note");
    if (status === 409 || status === 410) {
      note.textContent = data.msgUsed;
      note.hidden = false;
      if (screen === "complaint") show("thanks");
    } else if (isQueued(key)) {
      note.textContent = data.msgQueued;
      note.hidden = false;
      if (screen === "complaint") complaintOffline();
    }
  }

  /* ---- the complaint: tags, on-screen keyboard, call-back number ------------------- */

  var complaint = $("[data-screen='complaint']");
  var textInput = $("#complaint-text");
  var phoneInput = $("#complaint-phone");
  var complaintError = $(".complaint-error", complaint);

  function openComplaint() {
    clearComplaint();
    show("complaint");
    if (!navigator.onLine) complaintOffline();
  }

  function complaintOffline() {
    clearComplaint();  // what was typed is dropped, never stored on the device
    $(".complaint-form", complaint).hidden = true;
    $(".complaint-offline", complaint).hidden = false;
  }

  function clearComplaint() {
    textInput.value = "";
    phoneInput.value = "";
    complaintError.hidden = true;
    $all(".tag-button", complaint).forEach(function (tag) { tag.setAttribute("aria-pressed", "false"); });
    $(".complaint-form", complaint).hidden = false;
    $(".complaint-offline", complaint).hidden = true;
    chooseKeyboard("text");
  }

  function chooseKeyboard(which) {
    $all(".keyboard", complaint).forEach(function (board) { board.hidden = board.dataset.for !== which; });
    textInput.classList.toggle("active", which === "text");
    phoneInput.classList.toggle("active", which === "phone");
  }

  async function submitComplaint(button) {
    var phone = phoneInput.value;
    if (phone && !PHONE.test(phone)) {
      complaintError.textContent = complaintError.dataset.msgPhone;
      complaintError.hidden = false;
      return;
    }
    var key = current && current.key;
    if (!key) return goHome();
    button.disabled = true;
    try {
      await flush();
      if (isQueued(key)) return complaintOffline();
      var reasons = $all(".tag-button[aria-pressed='true']", complaint).map(function (tag) { return tag.dataset.reason; });
      var response;
      try {
        response = await fetch(cfg.ratingsUrl + "/" + encodeURIComponent(key) + "/complaint", {
          method: "POST",
          credentials: "same-origin",
          cache: "no-store",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ reasons: reasons, text: textInput.value, phone: phone || null }),
        });
      } catch (e) {
        return complaintOffline();
      }
      if (response.ok) {
        clearComplaint();
        var note = $(".thanks-note");
        note.textContent = data.msgComplaintDone;
        note.hidden = false;
        show("thanks");
      } else if (response.status >= 500) {
        complaintOffline();
      } else {
        complaintError.textContent = complaintError.dataset.msgFailed;
        complaintError.hidden = false;
      }
    } finally {
      button.disabled = false;
    }
  }

  function typeInto(input, key, insert, max) {
    if (key === "back") input.value = input.value.slice(0, -1);
    else if (key === "clear") input.value = "";
    else if (insert !== undefined) {
      var limit = Number(max || input.maxLength || 500);
      input.value = (input.value + insert).slice(0, limit);
    }
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  /* ---- the staff exit PIN ------------------------------------------------------------ */

  var pinDialog = document.querySelector(".pin-dialog");
  var pinInput = document.getElementById("pin-input");
  var pinError = pinDialog.querySelector(".pin-error");

  function openPin() {
    pinInput.value = "";
    pinError.hidden = true;
    if (!pinDialog.open) pinDialog.showModal();
    touched();  // an abandoned PIN pad closes by itself, too
  }

  function closePin() {
    pinInput.value = "";
    if (pinDialog.open) pinDialog.close();
  }

  async function submitPin() {
    var response;
    try {
      response = await fetch(cfg.unlockUrl, {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ pin: pinInput.value }),
      });
    } catch (e) {
      pinError.textContent = data.msgPinOffline;
      pinError.hidden = false;
      return;
    }
    var body = {};
    try { body = await response.json(); } catch (e) { body = {}; }
    pinInput.value = "";
    if (response.ok && body.next) {
      window.location.assign(body.next);
      return;
    }
    pinError.textContent = body.detail || data.msgPinFailed;
    pinError.hidden = false;
  }

  /* ---- one click handler for every button ------------------------------------------ */

  document.addEventListener("click", function (event) {
    var target = event.target.closest("button, textarea, input");
    if (!target) return;
    if (target === textInput) return chooseKeyboard("text");
    if (target === phoneInput) return chooseKeyboard("phone");
    var action = target.dataset.action;
    if (action === "home") return goHome();
    if (action === "finish") {
      clearComplaint();
      return show("thanks");
    }
    if (action === "open-pin") return openPin();
    if (action === "close-pin") return closePin();
    if (action === "submit-pin") return submitPin();
    if (action === "submit-complaint") return submitComplaint(target);
    if (target.classList.contains("tag-button")) {
      target.setAttribute("aria-pressed", target.getAttribute("aria-pressed") === "true" ? "false" : "true");
      return;
    }
    if (target.classList.contains("key")) {
      var pad = target.closest("[data-target]");
      var input = document.getElementById(pad.dataset.target);
      return typeInto(input, target.dataset.key, target.dataset.insert, pad.dataset.max);
    }
    if (target.classList.contains("face-button")) {
      var level = Number(target.dataset.level);
      if (hooks.rate) return hooks.rate(level);
    }
    if (target.classList.contains("window-card") && hooks.pickWindow) return hooks.pickWindow(target);
  });

  // Nobody leaves the kiosk by the back gesture or a long press.
  window.history.pushState({ device: true }, "", window.location.href);
  window.addEventListener("popstate", function () {
    window.history.pushState({ device: true }, "", window.location.href);
  });
  document.addEventListener("contextmenu", function (event) { event.preventDefault(); });

  /* ---- offline start-up: a service worker serves this page when the network is down -- */

  async function prepareOffline() {
    if (!("serviceWorker" in navigator) || !window.isSecureContext || !window.caches) return;
    try {
      await navigator.serviceWorker.register(data.swUrl, { scope: "/" });
      var cache = await caches.open(SHELL_CACHE);
      var urls = [window.location.pathname];
      $all("link[rel='stylesheet']", document).forEach(function (link) { urls.push(link.getAttribute("href")); });
      $all("script[src]", document).forEach(function (script) { urls.push(script.getAttribute("src")); });
      await cache.addAll(urls);
      await navigator.serviceWorker.ready;
      document.documentElement.dataset.offlineReady = "1";
    } catch (e) {
      // Offline start-up is a bonus: the queue works without it.
    }
  }

  /* ---- the kiosk: window cards, then faces ------------------------------------------ */

  function startKiosk() {
    var chosen = null;
    hooks.pickWindow = function (card) {
      chosen = Number(card.dataset.windowId);
      $(".rate-window").textContent = card.dataset.windowLabel;
      $(".rate-staff").textContent = card.dataset.staff;
      $(".cooldown-hint").hidden = true;
      show("rate");
    };
    hooks.rate = function (level) {
      if (chosen !== null) rate(level, chosen, null);
    };
    hooks.home = function () {
      chosen = null;
      show("start");
    };
    // Who is on duty changes during the day: refresh the cards while nobody is using them.
    // Not under a finger: a card swapped between pointerdown and pointerup gets no click, and
    // the resident's tap would be lost. So the new cards wait if the screen was just touched.
    window.setInterval(async function () {
      if (screen !== "start") return;
      try {
        var response = await fetch(data.windowsUrl, { credentials: "same-origin", cache: "no-store" });
        if (!response.ok) return;
        var cards = await response.text();
        if (screen === "start" && Date.now() - lastTouch > 2000) $(".window-grid").innerHTML = cards;
      } catch (e) { /* offline: keep the cards we have */ }
    }, 60000);
    show("start");
  }

  /* ---- the pad: armed by 办结·邀请评价, one rating per invitation ---------------------- */

  function startPad() {
    var invitation = null;
    var staffLine = $(".pad-staff");
    var qrImage = $(".invite-qr-img");

    function paintStaff(staff) {
      staffLine.textContent = "";
      if (!staff) {
        staffLine.textContent = staffLine.dataset.nobody;
        return;
      }
      var name = document.createElement("strong");
      name.textContent = staff.name;
      staffLine.append(staffLine.dataset.prefix + " ", name, " " + staffLine.dataset.staffNo + " " + staff.staff_no);
    }

    function arm(next) {
      invitation = next;
      qrImage.src = next.qr;
      show("rate");
    }

    hooks.rate = function (level) {
      if (!invitation) return;
      var token = invitation.token;
      invitation = null;  // one rating per invitation, whatever the network does
      rate(level, Number(data.windowId), token);
    };
    hooks.home = function () {
      show("idle");
      poll();
    };

    async function poll() {
      var state;
      try {
        var response = await fetch(data.stateUrl, { credentials: "same-origin", cache: "no-store" });
        if (!response.ok) return;
        state = await response.json();
      } catch (e) {
        return;  // offline: an armed pad stays armed, its tap is queued
      }
      paintStaff(state.staff);
      var next = state.invitation;
      if (screen === "idle" && next) arm(next);
      else if (screen === "rate" && (!next || !invitation || next.token !== invitation.token)) {
        // Answered on a phone, expired, or replaced by a newer invitation.
        if (next) arm(next);
        else {
          invitation = null;
          show("idle");
        }
      }
    }

    window.setInterval(poll, Math.max(1, Number(data.poll)) * 1000);
    show("idle");
    poll();
  }

  updateIndicator();
  if (cfg.kind === "pad") startPad();
  else startKiosk();
  flush();
  prepareOffline();
})();
