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
    allMatching.addEventListener("change", () => {
      document.querySelectorAll("input.pick").forEach((box) => {
        box.checked = allMatching.checked || box.checked;
        box.disabled = allMatching.checked;
      });
    });
  }
  document.querySelectorAll("button[data-confirm-action]").forEach((button) => {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirmAction)) event.preventDefault();
    });
  });

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
