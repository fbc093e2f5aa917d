// Contacts list selection (page / all matching) and the import progress bar. The forms work
// without it; this only ticks boxes and polls the import's status.
(function () {
  "use strict";

  const selectAll = document.getElementById("select-all");
  if (selectAll) {
    selectAll.addEventListener("change", () => {
      document.querySelectorAll("input.pick").forEach((box) => { box.checked = selectAll.checked; });
    });
  }
  const allMatching = document.getElementById("all-matching");
  if (allMatching) {
    // Ticking "all matching" ticks every row; unticking it gives back the rows ticked before.
    const before = new Map();
    allMatching.addEventListener("change", () => {
      document.querySelectorAll("input.pick").forEach((box) => {
        if (allMatching.checked) {
          before.set(box, box.checked);
          box.checked = true;
        } else {
          box.checked = before.get(box) || false;
        }
        box.disabled = allMatching.checked;
      });
    });
  }
  // The delete button's question (asked by confirm.js) names what goes: the ticked contacts, or
  // everything the "all matching" box covers. The click comes before the form's submit event.
  const bulkDelete = document.getElementById("bulk-delete");
  if (bulkDelete) {
    bulkDelete.addEventListener("click", () => {
      const form = bulkDelete.form;
      const stays = "Their messages stay.";
      let title, message, button;
      if (allMatching && allMatching.checked) {
        const query = form.elements.query.value.trim();
        const group = form.elements.list_group.dataset.name;
        title = "Delete every matching contact?";
        button = "Delete all matching";
        // the server acts on what the list shows (search, group, status), on every page: say which
        const scope = [query && `matching “${query}”`, group && `in “${group}”`].filter(Boolean).join(" ");
        message = scope
          ? `Every contact ${scope} is deleted, not only this page. ${stays}`
          : `Every contact in this list is deleted, not only this page. ${stays}`;
      } else {
        const names = Array.from(document.querySelectorAll("input.pick:checked"), (box) => {
          const link = box.closest("tr").querySelector("td[data-label='Name'] a");
          return link ? link.textContent.trim() : box.value;
        });
        const n = names.length;
        if (n === 1) {
          [title, button, message] = ["Delete this contact?", "Delete contact", `${names[0]} is deleted. ${stays}`];
        } else {
          const listed = names.slice(0, 3).join(", ") + (n > 3 ? ` and ${n - 3} more` : "");
          [title, button, message] = [`Delete ${n} contacts?`, `Delete ${n} contacts`, `${listed} are deleted. ${stays}`];
        }
        if (n === 0) message = ""; // nothing ticked: nothing to ask (the server deletes nothing)
      }
      Object.assign(bulkDelete.dataset, { confirmTitle: title, confirmButton: button, confirm: message });
    });
  }

  const panel = document.getElementById("import-progress");
  if (!panel) return;
  const done = (status) => status === "complete" || status === "failed";
  const show = (data) => {
    document.getElementById("import-status").textContent = data.status;
    const bar = document.getElementById("import-bar");
    bar.value = data.progress;
    bar.textContent = data.progress + "%";
    document.getElementById("import-percent").textContent = data.progress + "%";
    document.getElementById("count-created").textContent = data.counts.created;
    document.getElementById("count-updated").textContent = data.counts.updated;
    document.getElementById("count-errors").textContent = data.counts.errors;
    const list = document.getElementById("import-errors");
    list.replaceChildren(...data.errors.map((e) => {
      const li = document.createElement("li");
      li.textContent = (e.row ? "Row " + e.row + ": " : "") + e.message;
      return li;
    }));
    panel.dataset.status = data.status;
  };
  const poll = () => {
    fetch(panel.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => r.json())
      .then((data) => {
        show(data);
        if (!done(data.status)) window.setTimeout(poll, 500);
      })
      .catch(() => window.setTimeout(poll, 2000));
  };
  if (!done(panel.dataset.status)) poll();
})();
