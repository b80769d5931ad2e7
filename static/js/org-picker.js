/*
 * Organisation picker: type part of an organisation's name, short name or code, pick one from
 * the drop-down, and the picker fills in a form field with its id (or code).
 *
 * Use (in a template that extends base.html):
 *
 *   {% load static %}
 *   <label class="form-label" for="branch-picker">{% translate "Branch" %}</label>
 *   <input type="text" id="branch-picker" class="form-control"
 *          data-org-picker
 *          data-target="#id_branch"                      (required: CSS selector of the field to fill)
 *          data-levels="branch,group"                    (optional: only these levels)
 *          data-url="{% url 'campaigns:organization_search' %}"  (optional; this is the default)
 *          data-value="id"                               (optional: "id" (default) or "code")
 *          data-hide-target                              (optional: hide the target field)
 *          data-chosen-label="{% translate 'Chosen:' %}" (optional: text before the chosen name)
 *          value="{{ form.instance.branch.name }}"       (optional: the current choice's name)
 *          placeholder="{% translate 'Type a name or code' %}" autocomplete="off">
 *   {{ form.branch }}   (a <select> or an <input type="hidden">; errors rendered as usual)
 *   ...
 *   {% block extra_js %}<script src="{% static 'js/org-picker.js' %}"></script>{% endblock %}
 *
 * The search runs on the server (campaigns:organization_search, only active organisations in
 * the user's scope, at most 20 shown), so it stays fast with 12,000 organisations. With a
 * <select> target whose options do not include the chosen organisation, an option is added.
 * Typing after a choice clears the target until a new organisation is picked, so a stale
 * choice is never submitted. Keyboard: ↓/↑ to move, Enter to pick, Esc to close.
 *
 * Events: "change" on the target (bubbles), and "org-picker:chosen" on the picker input with
 * detail {id, code, name}. Pickers inserted later by htmx are set up automatically.
 */
(function () {
  "use strict";

  const DEFAULT_URL = "/orgs-search/";
  const DELAY_MS = 250;
  let counter = 0;

  function setTargetValue(target, value, name) {
    if (target.tagName === "SELECT") {
      if (value !== "" && !Array.from(target.options).some((o) => o.value === value)) {
        target.add(new Option(name, value));
      }
      target.value = value;
      if (value === "" && target.value !== "") target.selectedIndex = -1;
    } else {
      target.value = value;
    }
    target.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function setup(input) {
    if (input.dataset.orgPickerReady) return;
    const target = document.querySelector(input.dataset.target || "");
    if (!target) {
      console.warn("org-picker: no target for", input);
      return;
    }
    input.dataset.orgPickerReady = "1";
    counter += 1;

    let wrapper = input.parentElement;
    if (!wrapper.classList.contains("org-picker")) {
      wrapper = document.createElement("div");
      wrapper.className = "org-picker";
      input.parentNode.insertBefore(wrapper, input);
      wrapper.appendChild(input);
    }
    const results = document.createElement("div");
    results.className = "org-picker-results";
    results.id = "org-picker-results-" + counter;
    wrapper.appendChild(results);
    const chosen = document.createElement("div");
    chosen.className = "form-text org-picker-chosen";
    chosen.setAttribute("aria-live", "polite");
    wrapper.appendChild(chosen);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", results.id);
    input.setAttribute("autocomplete", "off");
    if (input.hasAttribute("data-hide-target")) target.classList.add("d-none");

    const gettext = window.gettext || ((s) => s);
    function showChosen(name, code) {
      chosen.textContent = name
        ? (input.dataset.chosenLabel || gettext("Chosen:")) + " " + name + (code ? " (" + code + ")" : "")
        : "";
    }
    if (target.tagName === "SELECT" && target.value && target.selectedOptions.length) {
      if (!input.value) input.value = target.selectedOptions[0].textContent.trim();
      showChosen(input.value, "");
    } else if (target.value && input.value) {
      showChosen(input.value, "");
    }

    let timer = null;
    let latest = 0;

    function close() {
      results.innerHTML = "";
      input.setAttribute("aria-expanded", "false");
    }
    function options() {
      return Array.from(results.querySelectorAll("[data-org-id]"));
    }
    function search() {
      const q = input.value.trim();
      if (!q) {
        close();
        return;
      }
      const params = new URLSearchParams({ q: q });
      if (input.dataset.levels) params.set("levels", input.dataset.levels);
      const request = ++latest;
      fetch((input.dataset.url || DEFAULT_URL) + "?" + params.toString(), {
        credentials: "same-origin",
        headers: { "HX-Request": "true", "X-Requested-With": "XMLHttpRequest" },
      })
        .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
        .then((html) => {
          if (request !== latest) return; // a newer search has been sent meanwhile
          results.innerHTML = html;
          input.setAttribute("aria-expanded", options().length ? "true" : "false");
        })
        .catch(() => {
          if (request === latest) close();
        });
    }
    function choose(button) {
      const id = button.dataset.orgId;
      const code = button.dataset.orgCode;
      const name = button.dataset.orgName;
      setTargetValue(target, input.dataset.value === "code" ? code : id, name);
      input.value = name;
      showChosen(name, code);
      close();
      input.dispatchEvent(
        new CustomEvent("org-picker:chosen", { bubbles: true, detail: { id, code, name } })
      );
    }

    input.addEventListener("input", () => {
      if (target.value !== "") {
        setTargetValue(target, "", "");
        showChosen("", "");
      }
      clearTimeout(timer);
      timer = setTimeout(search, DELAY_MS);
    });
    input.addEventListener("keydown", (event) => {
      const items = options();
      const current = items.findIndex((el) => el.classList.contains("active"));
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!items.length) return;
        event.preventDefault();
        const next =
          event.key === "ArrowDown"
            ? (current + 1) % items.length
            : (current - 1 + items.length) % items.length;
        items.forEach((el, i) => el.classList.toggle("active", i === next));
        items[next].scrollIntoView({ block: "nearest" });
      } else if (event.key === "Enter" && items.length) {
        event.preventDefault(); // never submit the form while the list is open
        choose(items[current >= 0 ? current : 0]);
      } else if (event.key === "Escape") {
        close();
      }
    });
    results.addEventListener("click", (event) => {
      const button = event.target.closest("[data-org-id]");
      if (button) choose(button);
    });
    document.addEventListener("click", (event) => {
      if (!wrapper.contains(event.target)) close();
    });
  }

  function setupAll(root) {
    if (root.matches && root.matches("[data-org-picker]")) setup(root);
    root.querySelectorAll("[data-org-picker]").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => setupAll(document));
  } else {
    setupAll(document);
  }
  document.addEventListener("htmx:load", (event) => setupAll(event.detail.elt));
})();
