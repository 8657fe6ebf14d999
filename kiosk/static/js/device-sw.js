/* Offline start-up for the hall kiosk and window pad.
 *
 * The device page (device.js) stores its own page, stylesheet and scripts in the cache
 * "hall-device-v1". This worker answers only GET requests for those pages and /static/, from
 * the network when it answers and from that cache when it does not, so a kiosk reloaded
 * while the network is down still starts, shows its queue and replays it later. Every other
 * request (the API, the staff area) passes through untouched.
 */
"use strict";

var SHELL_CACHE = "hall-device-v1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function isShell(url) {
  if (url.origin !== self.location.origin) return false;
  return url.pathname === "/kiosk" || url.pathname === "/pad" || url.pathname.indexOf("/static/") === 0;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || !isShell(new URL(request.url))) return;
  event.respondWith(
    fetch(request).catch(function () {
      return caches.match(request, { ignoreSearch: true }).then(function (hit) {
        return hit || Response.error();
      });
    })
  );
});
