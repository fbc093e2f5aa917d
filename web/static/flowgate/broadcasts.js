// Broadcast screens: translations and the per-language preview on the compose form, contact
// filtering, and live counts on the progress page (polls the REST API with the session).
(function () {
  "use strict";
  const form = document.getElementById("broadcast-form");
  if (form) {
    const filter = document.getElementById("contact-filter");
    const picker = document.getElementById("contact-picker");
    filter.addEventListener("input", function () {
      const needle = filter.value.trim().toLowerCase();
      for (const option of picker.options) {
        option.hidden = needle !== "" && !option.textContent.toLowerCase().includes(needle);
      }
    });
    const newLanguage = document.getElementById("new-language");
    document.getElementById("add-language").addEventListener("click", function () {
      const lang = newLanguage.value.trim().toLowerCase();
      if (!/^[a-z]{2,3}$/.test(lang) || form.querySelector('[data-language="' + lang + '"]')) return;
      const row = document.createElement("div");
      row.className = "translation";
      row.dataset.language = lang;
      const label = document.createElement("label");
      label.htmlFor = "text-" + lang;
      label.textContent = "Text (" + lang + ")";
      const area = document.createElement("textarea");
      area.id = "text-" + lang;
      area.name = "text:" + lang;
      area.rows = 3;
      row.append(label, area);
      document.getElementById("texts").append(row);
      newLanguage.value = "";
      area.focus();
    });
    document.getElementById("preview-button").addEventListener("click", async function () {
      const section = document.getElementById("preview");
      const rows = document.getElementById("preview-rows");
      const summary = document.getElementById("preview-summary");
      const response = await fetch(form.dataset.previewUrl, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const data = await response.json();
      rows.replaceChildren();
      section.hidden = false;
      if (!response.ok) {
        summary.textContent = data.error;
        summary.className = "error";
        return;
      }
      summary.className = "";
      summary.textContent =
        data.recipients + " recipients" + (data.skipped ? ", " + data.skipped + " stopped or blocked left out" : "");
      for (const item of data.languages) {
        const tr = document.createElement("tr");
        tr.dataset.language = item.language;
        for (const [label, value] of [
          ["Language", item.language + (item.base ? " (base)" : "")],
          ["Recipients", String(item.recipients)],
          ["Text", item.text],
        ]) {
          const td = document.createElement("td");
          td.dataset.label = label;
          td.textContent = value;
          tr.append(td);
        }
        rows.append(tr);
      }
    });
  }

  const progress = document.getElementById("broadcast-progress");
  if (progress) {
    const fields = ["sent", "queued", "scheduled", "failed", "cancelled"];
    async function refresh() {
      const response = await fetch(progress.dataset.api, { credentials: "same-origin" });
      if (!response.ok) return;
      const data = await response.json();
      for (const name of fields) document.getElementById("count-" + name).textContent = data.progress[name];
      document.getElementById("progress-bar").value = data.progress.percent;
      document.getElementById("eta").textContent = data.progress.eta || "—";
      const status = document.getElementById("status");
      if (status.textContent !== data.status) window.location.reload();
    }
    window.setInterval(refresh, 2000);
  }
})();
