// The inspection form's running total: the sum of the score inputs ([data-score-max]) shown in
// [data-score-total]. The server checks every score again; this is only a reading aid.
(() => {
  const sheet = document.querySelector("[data-score-sheet]");
  const out = document.querySelector("[data-score-total]");
  if (!sheet || !out) return;
  const update = () => {
    let total = 0;
    let any = false;
    for (const input of sheet.querySelectorAll("input[data-score-max]")) {
      const value = parseFloat(input.value);
      if (!Number.isNaN(value)) {
        total += value;
        any = true;
      }
      const max = parseFloat(input.dataset.scoreMax);
      input.classList.toggle("is-invalid", !Number.isNaN(value) && (value < 0 || value > max));
    }
    out.textContent = any ? (Math.round(total * 10) / 10).toString() : "—";
  };
  sheet.addEventListener("input", update);
  update();
})();
