// The print button on the QR sheet (no inline handlers: the CSP forbids them).
document.getElementById("print-sheet")?.addEventListener("click", () => window.print());
