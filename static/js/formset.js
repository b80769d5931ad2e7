// "Add a row" for Django formsets rendered as <div data-formset-rows="PREFIX"> plus
// <template id="PREFIX-empty-row"> (formset.empty_form) and a button data-formset-add="PREFIX".
// Without JavaScript the page still works: the formset always carries one blank row.
(() => {
  for (const button of document.querySelectorAll("[data-formset-add]")) {
    button.hidden = false;
    button.addEventListener("click", () => {
      const prefix = button.dataset.formsetAdd;
      const rows = document.querySelector(`[data-formset-rows="${prefix}"]`);
      const template = document.getElementById(`${prefix}-empty-row`);
      const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
      const max = document.getElementById(`id_${prefix}-MAX_NUM_FORMS`);
      if (!rows || !template || !total) return;
      const index = parseInt(total.value, 10);
      if (max && index >= parseInt(max.value, 10)) return;
      const html = template.innerHTML.replace(/__prefix__/g, String(index));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      const added = rows.lastElementChild;
      const first = added && added.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    });
  }
})();
