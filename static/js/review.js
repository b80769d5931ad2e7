// The review queue: "select all" and the count on the "approve selected" button. The item
// checkboxes belong to the bulk form through their form="" attribute; htmx replaces items after
// an inline action, so the count is taken again after every swap.
(function () {
  function boxes(form) {
    return Array.from(document.querySelectorAll('input[data-bulk-item][form="' + form.id + '"]'));
  }
  function refresh() {
    document.querySelectorAll("form#bulk-approve").forEach(function (form) {
      const all = boxes(form);
      const checked = all.filter(function (box) { return box.checked; }).length;
      const counter = form.querySelector("[data-bulk-count]");
      const button = form.querySelector("[data-bulk-submit]");
      const master = form.querySelector("[data-check-all]");
      if (counter) counter.textContent = String(checked);
      if (button) button.disabled = checked === 0;
      if (master) {
        master.checked = all.length > 0 && checked === all.length;
        master.indeterminate = checked > 0 && checked < all.length;
        master.disabled = all.length === 0;
      }
    });
  }
  document.addEventListener("change", function (event) {
    const el = event.target;
    if (el.matches("[data-check-all]")) {
      const form = document.getElementById(el.dataset.checkAll);
      if (form) boxes(form).forEach(function (box) { box.checked = el.checked; });
      refresh();
    } else if (el.matches("[data-bulk-item]")) {
      refresh();
    }
  });
  document.addEventListener("htmx:afterSwap", refresh);
  document.addEventListener("DOMContentLoaded", refresh);
})();
