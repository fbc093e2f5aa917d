// Templates screen: add language/variable rows without a round trip, and preview in place.
// Both forms work without JavaScript (a blank row is always there; preview posts and re-renders).
(function () {
  "use strict";

  // ---- "Add a language" / "Add a variable": clone the last row with the next index -----------
  document.querySelectorAll("[data-add-row]").forEach((button) => {
    button.addEventListener("click", () => {
      const prefix = button.dataset.addRow;
      const set = button.closest("fieldset");
      const rows = set.querySelectorAll("[data-row]");
      const last = rows[rows.length - 1];
      const next = rows.length;
      const row = last.cloneNode(true);
      const rename = (value) => value.replace(new RegExp(`^${prefix}-\\d+-`), `${prefix}-${next}-`);
      row.querySelectorAll("input, textarea").forEach((field) => {
        field.id = rename(field.id);
        field.name = rename(field.name);
        field.value = "";
      });
      row.querySelectorAll("label").forEach((label) => { label.htmlFor = rename(label.htmlFor); });
      last.after(row);
      row.querySelector("input, textarea").focus();
    });
  });

  // ---- preview: same post, JSON answer, shown under the form ---------------------------------
  const form = document.getElementById("preview-form");
  const result = document.getElementById("preview-result");
  if (!form || !result) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    form.querySelectorAll(".has-error").forEach((el) => el.classList.remove("has-error"));
    result.replaceChildren();
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const data = await response.json();
      if (response.ok) {
        const pre = document.createElement("pre");
        pre.className = "preview-text";
        pre.textContent = data.text;
        result.append(pre);
      } else {
        const p = document.createElement("p");
        p.className = "error preview-error";
        p.setAttribute("role", "alert");
        p.textContent = data.error || "The preview failed.";
        result.append(p);
        Object.keys(data.errors || {}).forEach((name) => {
          const input = document.getElementById(`param-${name}`);
          if (input) input.closest(".field").classList.add("has-error");
        });
      }
    } catch (err) {
      result.textContent = "Could not reach the server; try again.";
    } finally {
      button.disabled = false;
    }
  });
})();
