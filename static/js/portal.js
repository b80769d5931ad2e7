// Small behaviours shared by every page. No inline scripts: the CSP forbids them.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches("[data-autosubmit]")) {
    el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
  }
});
document.addEventListener("click", (event) => {
  const el = event.target.closest("[data-confirm]");
  if (el && !window.confirm(el.dataset.confirm)) {
    event.preventDefault();
  }
});
