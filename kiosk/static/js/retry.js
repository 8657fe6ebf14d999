// The tap the server could not store yet: post it again (same key) once Retry-After has passed.
// Without JavaScript the resident presses the button; either way the key makes it count once.
(function () {
  "use strict";
  var form = document.querySelector("form[data-retry-after]");
  if (!form) return;
  var seconds = Number(form.getAttribute("data-retry-after")) || 2;
  var button = form.querySelector("button[name=level]");
  window.setTimeout(function () {
    if (form.requestSubmit) form.requestSubmit(button);
    else button.click();
  }, seconds * 1000);
})();
