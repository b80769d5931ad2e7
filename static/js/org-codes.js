// Adds organisations chosen with the organisation picker (org-picker.js) to a textarea of
// organisation codes, one per line. The textarea stays the value that is submitted, so the
// form also works without JavaScript (type or paste the codes).
//
//   <input type="text" data-org-picker data-target="#org-add" data-value="code"
//          data-codes-into="#id_organizations">
//   <input type="hidden" id="org-add">
document.addEventListener("org-picker:chosen", (event) => {
  const picker = event.target;
  const textarea = picker.dataset.codesInto && document.querySelector(picker.dataset.codesInto);
  if (!textarea) return;
  const { code, name } = event.detail;
  const codes = textarea.value.split(/[\s,;，；、]+/).filter(Boolean);
  const gettext = window.gettext || ((s) => s);
  const status = picker.closest(".org-picker")?.querySelector(".org-picker-chosen");
  if (codes.includes(code)) {
    if (status) status.textContent = gettext("Already in the list:") + " " + name + " (" + code + ")";
  } else {
    codes.push(code);
    textarea.value = codes.join("\n");
    textarea.dispatchEvent(new Event("change", { bubbles: true }));
    if (status) status.textContent = gettext("Added:") + " " + name + " (" + code + ")";
  }
  picker.value = "";
  picker.focus();
});
