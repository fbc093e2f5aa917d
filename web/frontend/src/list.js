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

const SUMMARY = "flowgate-import-summary";
const describe = (t) =>
  t.type === "keyword" ? `keyword “${t.keywords.join(", ")}” → ${t.flow}` : `${t.type.replace(/_/g, " ")} → ${t.flow}`;

/** The styled question before an import's catch-all replaces another flow's: it names both
 * flows and lists every trigger the import creates. Resolves "replace", "skip" or "cancel". */
function askCatchAll(conflicts, triggers) {
  const dialog = document.getElementById("catch-all-dialog");
  const c = conflicts[0];
  const where = c.channel ? ` on ${c.channel}` : "";
  document.getElementById("catch-all-question").textContent =
    `The export’s catch-all trigger (flow “${c.new_flow}”) would replace the one of “${c.existing_flow}”${where}.`;
  document.getElementById("catch-all-triggers").replaceChildren(
    ...triggers.map((t) =>
      Object.assign(document.createElement("li"), {
        textContent: `${describe(t)}${t.channel ? ` (on ${t.channel})` : ""}`,
        className: t.type === "catch_all" ? "catch-all" : "",
      }),
    ),
  );
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => resolve(["replace", "skip"].includes(dialog.returnValue) ? dialog.returnValue : "cancel"),
      { once: true },
    );
    dialog.returnValue = "";
    dialog.showModal();
    document.getElementById("catch-all-cancel").focus(); // the safe answer is the default
  });
}
const imp = document.getElementById("import-flows");
if (imp) {
  const kept = sessionStorage.getItem(SUMMARY);
  if (kept) {
    sessionStorage.removeItem(SUMMARY);
    const out = document.getElementById("import-result");
    out.innerHTML = kept; // our own markup, built with textContent above
    out.className = "ok";
  }
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
      // Ask first: a catch-all trigger in the export must not silently replace another flow's.
      let res;
      try {
        res = await api("/flows/import?catch_all=ask", { method: "POST", body });
      } catch (err) {
        if (err.status !== 409 || !err.body || !err.body.conflicts) throw err;
        const choice = await askCatchAll(err.body.conflicts, err.body.triggers || []);
        if (choice === "cancel") return say(out, "Import cancelled: nothing was imported.");
        res = await api(`/flows/import?catch_all=${choice}`, { method: "POST", body });
      }
      const flows = listOf(res, "flows");
      const warnings = (res && res.warnings) || [];
      const triggers = (res && res.created && res.created.triggers) || [];
      const skipped = ((res && res.skipped) || []).filter((x) => x.type === "trigger");
      out.replaceChildren();
      const head = document.createElement("p");
      head.textContent = `Imported ${flows.length} flow${flows.length === 1 ? "" : "s"}: ${flows.map((f) => f.name).join(", ")}`;
      out.append(head);
      if (triggers.length || skipped.length) {
        const list = document.createElement("ul");
        list.className = "import-triggers";
        list.setAttribute("aria-label", "Triggers created");
        for (const t of triggers) list.append(Object.assign(document.createElement("li"), { textContent: `Trigger created: ${describe(t)}${t.channel ? ` (on ${t.channel})` : ""}` }));
        for (const x of skipped) list.append(Object.assign(document.createElement("li"), { textContent: `Not created: ${x.name} (${x.reason})` }));
        out.append(list);
      }
      if (warnings.length) out.append(Object.assign(document.createElement("p"), { textContent: `${warnings.length} warning${warnings.length === 1 ? "" : "s"}: ${warnings.join("; ")}` }));
      out.className = "ok";
      // The list reloads to show the new flows; the summary (with its triggers) survives it.
      sessionStorage.setItem(SUMMARY, out.innerHTML);
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

// One row menu open at a time; choosing an item closes it.
document.querySelectorAll("details.row-menu").forEach((menu) => {
  menu.addEventListener("toggle", () => {
    if (menu.open) document.querySelectorAll("details.row-menu[open]").forEach((m) => m !== menu && (m.open = false));
  });
  menu.querySelectorAll("[role=menuitem]").forEach((item) => item.addEventListener("click", () => (menu.open = false)));
});
document.addEventListener("click", (e) => {
  if (!e.target.closest("details.row-menu")) document.querySelectorAll("details.row-menu[open]").forEach((m) => (m.open = false));
});

const dialog = document.getElementById("start-dialog");
if (dialog) setupStart(dialog);

function setupStart(dialog) {
  const form = document.getElementById("start-form");
  const out = document.getElementById("start-result");
  const bar = document.getElementById("start-progress");
  const submit = document.getElementById("start-submit");
  const reach = document.getElementById("start-reach");
  const groupSearch = document.getElementById("start-group-search");
  const contactSearch = document.getElementById("start-contact-search");
  const results = document.getElementById("start-contact-results");
  const chosenList = document.getElementById("start-contacts");
  const counts = {};
  const chosen = new Map(); // contact uuid -> label
  let flowUuid = "";
  let running = false;

  api("/groups")
    .then((gs) => {
      for (const g of listOf(gs, "groups")) {
        counts[g.uuid] = g.count;
        const el = form.querySelector(`[data-group-count="${g.uuid}"]`);
        if (el) el.textContent = `(${g.count})`;
      }
      updateReach();
    })
    .catch(() => {});

  const urns = () => form.elements.urns.value.split("\n").map((x) => x.trim()).filter(Boolean);
  const groups = () => [...form.querySelectorAll("input[name=groups]:checked")].map((x) => x.value);

  // How many the start reaches at most: contacts in several groups, or already in a flow when
  // "skip" is on, are counted here but started once (or not at all).
  function updateReach() {
    const gs = groups();
    const n = gs.reduce((acc, g) => acc + (counts[g] || 0), 0) + chosen.size + urns().length;
    if (!gs.length && !chosen.size && !urns().length) reach.textContent = "Choose groups or contacts.";
    else reach.textContent = `${gs.length > 1 ? "Up to " : ""}${n} contact${n === 1 ? "" : "s"} will be started${form.elements.exclude_in_flow.checked ? ", minus those already in a flow" : ""}.`;
    reach.dataset.count = String(n);
  }

  // One idempotency key per intended start: a double click or a retried request carries the
  // same key and gets the first start back; changing the recipients makes it a new start.
  const newKey = () => {
    form.dataset.key = crypto.randomUUID();
    if (!running) {
      submit.disabled = false;
      submit.textContent = "Start";
    }
  };
  form.addEventListener("input", (e) => {
    if (e.target === groupSearch || e.target === contactSearch) return;
    newKey();
    updateReach();
  });

  groupSearch.addEventListener("input", () => {
    const q = groupSearch.value.trim().toLowerCase();
    form.querySelectorAll("#start-groups li[data-name]").forEach((li) => (li.hidden = q && !li.dataset.name.includes(q)));
  });

  function renderChosen() {
    chosenList.replaceChildren(
      ...[...chosen].map(([uuid, label]) => {
        const li = document.createElement("li");
        li.dataset.contactUuid = uuid;
        li.append(label);
        const x = document.createElement("button");
        x.type = "button";
        x.textContent = "×";
        x.setAttribute("aria-label", `Remove ${label}`);
        x.addEventListener("click", () => {
          chosen.delete(uuid);
          renderChosen();
          newKey();
          updateReach();
        });
        li.append(x);
        return li;
      }),
    );
  }

  let searchSeq = 0;
  let timer = 0;
  contactSearch.addEventListener("input", () => {
    clearTimeout(timer);
    const q = contactSearch.value.trim();
    if (q.length < 2) {
      results.hidden = true;
      return;
    }
    timer = setTimeout(async () => {
      const seq = ++searchSeq;
      try {
        const data = await api(`/contacts?search=${encodeURIComponent(q)}&limit=8`);
        if (seq !== searchSeq) return; // a later search answered first
        const found = listOf(data, "contacts");
        results.replaceChildren(
          ...(found.length
            ? found.map((c) => {
                const li = document.createElement("li");
                const b = document.createElement("button");
                b.type = "button";
                const label = c.name || (c.urns && c.urns[0]) || c.uuid;
                b.textContent = c.name && c.urns && c.urns[0] ? `${c.name} (${c.urns[0]})` : label;
                b.addEventListener("click", () => {
                  chosen.set(c.uuid, label);
                  renderChosen();
                  results.hidden = true;
                  contactSearch.value = "";
                  newKey();
                  updateReach();
                });
                li.append(b);
                return li;
              })
            : [Object.assign(document.createElement("li"), { className: "muted", textContent: "No contact matches." })]),
        );
        results.hidden = false;
      } catch (err) {
        say(out, err.message, true);
      }
    }, 200);
  });

  document.querySelectorAll("[data-start]").forEach((btn) => {
    btn.addEventListener("click", () => {
      const row = btn.closest("[data-flow-uuid]");
      flowUuid = row.dataset.flowUuid;
      document.getElementById("start-flow-name").textContent = row.dataset.flowName || "";
      out.textContent = "";
      bar.hidden = true;
      newKey();
      updateReach();
      dialog.showModal();
    });
  });
  document.getElementById("start-close").addEventListener("click", () => dialog.close());

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (running || submit.disabled) return; // a second click while the first start runs
    const gs = groups();
    const us = urns();
    if (!gs.length && !us.length && !chosen.size) return say(out, "Choose a group or a contact, or give at least one number.", true);
    running = true;
    submit.disabled = true;
    submit.textContent = "Starting…";
    try {
      let start = await api("/flow_starts", {
        method: "POST",
        body: {
          flow: flowUuid,
          groups: gs,
          contacts: [...chosen.keys()],
          urns: us,
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
      say(out, `${start.status}: ${start.started} contact${start.started === 1 ? "" : "s"} started`, start.status === "failed");
      // Done: the same recipients can't be started again by another click; changing them can.
      submit.textContent = start.status === "failed" ? "Start" : "Started";
      submit.disabled = start.status !== "failed";
    } catch (err) {
      say(out, err.message, true);
      submit.textContent = "Start";
      submit.disabled = false;
    } finally {
      running = false;
    }
  });
}
