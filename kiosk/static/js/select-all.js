// A header checkbox marked data-select-all="NAME" ticks or clears every checkbox named NAME in
// its form. Without JavaScript it stays hidden and each row is ticked by hand.
document.querySelectorAll("input[data-select-all]").forEach((all) => {
  const boxes = () => all.form.querySelectorAll(`input[type=checkbox][name="${all.dataset.selectAll}"]`);
  const sync = () => {
    const ticked = [...boxes()].filter((box) => box.checked).length;
    all.checked = ticked > 0 && ticked === boxes().length;
    all.indeterminate = ticked > 0 && ticked < boxes().length;
  };
  all.hidden = false;
  all.addEventListener("change", () => {
    boxes().forEach((box) => { box.checked = all.checked; });
  });
  all.form.addEventListener("change", (event) => {
    if (event.target !== all) sync();
  });
  sync();
});
