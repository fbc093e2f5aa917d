// The flows list page: create a flow and import a RapidPro export through the API.
import { api, listOf } from "./lib/api.js";

function say(el, text, bad = false) {
  el.textContent = text;
  el.className = bad ? "error" : "ok";
}

const create = document.getElementById("new-flow");
if (create) {
  create.addEventListener("submit", async (e) => {
    e.preventDefault();
    const out = document.getElementById("new-flow-result");
    const name = create.elements.name.value.trim();
    if (!name) return say(out, "Give the flow a name.", true);
    try {
      const flow = await api("/flows", { method: "POST", body: { name } });
      window.location.href = `/flows/${flow.uuid}/editor`;
    } catch (err) {
      say(out, err.message, true);
    }
  });
}

const imp = document.getElementById("import-flows");
if (imp) {
  imp.addEventListener("submit", async (e) => {
    e.preventDefault();
    const out = document.getElementById("import-result");
    const file = imp.elements.file.files[0];
    if (!file) return say(out, "Choose an export file (.json).", true);
    let body;
    try {
      body = JSON.parse(await file.text());
    } catch {
      return say(out, "That file is not JSON.", true);
    }
    try {
      const res = await api("/flows/import", { method: "POST", body });
      const flows = listOf(res, "flows");
      const warnings = (res && res.warnings) || [];
      say(out, `Imported ${flows.length} flow${flows.length === 1 ? "" : "s"}: ${flows.map((f) => f.name).join(", ")}` + (warnings.length ? ` (${warnings.length} warnings: ${warnings.join("; ")})` : ""));
      setTimeout(() => window.location.reload(), 600);
    } catch (err) {
      const details = err.body && Array.isArray(err.body.errors) ? `: ${err.body.errors.map((x) => x.message || JSON.stringify(x)).join("; ")}` : "";
      say(out, `Import failed: ${err.message}${details}`, true);
    }
  });
}

document.querySelectorAll("[data-archive]").forEach((btn) => {
  btn.addEventListener("click", async () => {
    const row = btn.closest("[data-flow-uuid]");
    const archived = btn.dataset.archive === "1";
    try {
      await api(`/flows/${row.dataset.flowUuid}/archive?archived=${archived}`, { method: "POST" });
      row.remove();
    } catch (err) {
      btn.textContent = `Failed: ${err.message}`;
    }
  });
});

const dialog = document.getElementById("start-dialog");
if (dialog) {
  const form = document.getElementById("start-form");
  const out = document.getElementById("start-result");
  const bar = document.getElementById("start-progress");
  let flowUuid = "";
  // One idempotency key per intended start: a double click or a retried request carries the
  // same key and gets the first start back; changing the recipients makes it a new start.
  const newKey = () => { form.dataset.key = crypto.randomUUID(); };
  form.addEventListener("input", newKey);
  document.querySelectorAll("[data-start]").forEach((btn) => {
    btn.addEventListener("click", () => {
      const row = btn.closest("[data-flow-uuid]");
      flowUuid = row.dataset.flowUuid;
      document.getElementById("start-flow-name").textContent = row.querySelector("td").textContent;
      out.textContent = "";
      bar.hidden = true;
      newKey();
      dialog.showModal();
    });
  });
  document.getElementById("start-close").addEventListener("click", () => dialog.close());
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const groups = [...form.elements.groups.selectedOptions].map((o) => o.value);
    const urns = form.elements.urns.value.split("\n").map((x) => x.trim()).filter(Boolean);
    if (!groups.length && !urns.length) return say(out, "Choose a group or give at least one number.", true);
    try {
      let start = await api("/flow_starts", {
        method: "POST",
        body: {
          flow: flowUuid,
          groups,
          urns,
          exclude_in_flow: form.elements.exclude_in_flow.checked,
          idempotency_key: form.dataset.key,
        },
      });
      bar.hidden = false;
      // Poll until the start finishes; the worker updates processed/total as it goes.
      for (let i = 0; i < 600 && !["completed", "failed"].includes(start.status); i++) {
        bar.value = start.progress || 0;
        say(out, `${start.status}: ${start.processed}/${start.total}`);
        await new Promise((r) => setTimeout(r, 1000));
        start = await api(`/flow_starts/${start.uuid}`);
      }
      bar.value = start.progress || 0;
      say(out, `${start.status}: ${start.started} contacts started`, start.status === "failed");
    } catch (err) {
      say(out, err.message, true);
    }
  });
}
