// A pairing link (/kiosk/pair/<code>) opens the pairing screen with its code filled in. The GET
// pairs nothing; this sends the form (with its CSRF token) once, as a tap on 配对 would.
(() => {
  const form = document.querySelector("form[data-auto-submit]");
  if (form) {
    form.removeAttribute("data-auto-submit");
    form.requestSubmit();
  }
})();
