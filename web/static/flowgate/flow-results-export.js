// Results exports run as a job: start one, poll its progress, then offer the file.
const csrf = () => (document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/) || [])[1] || "";
async function call(url, options = {}) {
  const response = await fetch(url, {credentials: "same-origin", headers: {"Content-Type": "application/json", "X-CSRFToken": decodeURIComponent(csrf())}, ...options});
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || body.detail || `request failed (${response.status})`);
  return body;
}
// A notice that stays in view (the row may have scrolled away while the export ran).
function notify(name, exp) {
  const box = document.getElementById("export-notice");
  if (!box) return;
  box.replaceChildren();
  const text = document.createElement("span");
  text.textContent = `The ${exp.format.toUpperCase()} results of ${name} are ready: `;
  const link = document.createElement("a");
  link.href = exp.url;
  link.textContent = "download";
  const close = document.createElement("button");
  close.type = "button";
  close.textContent = "×";
  close.setAttribute("aria-label", "Dismiss");
  close.addEventListener("click", () => { box.hidden = true; });
  box.append(text, link, " ", close);
  box.hidden = false;
}
document.querySelectorAll("[data-export-results]").forEach((button) => {
  button.addEventListener("click", async () => {
    const row = button.closest("[data-flow-uuid]");
    const box = row.querySelector(".export-status");
    const bar = box.querySelector("progress");
    const label = box.querySelector("[role=status]");
    box.hidden = false;
    try {
      let exp = await call(`/api/v1/flows/${row.dataset.flowUuid}/results/export`, {method: "POST", body: JSON.stringify({format: button.dataset.exportResults})});
      while (!["completed", "failed"].includes(exp.status)) {
        bar.value = exp.progress;
        label.textContent = `Exporting results… ${exp.progress}%`;
        await new Promise((resolve) => setTimeout(resolve, 1000));
        exp = await call(`/api/v1/flows/exports/${exp.uuid}`);
      }
      bar.value = exp.progress;
      if (exp.status === "failed") throw new Error(exp.error || "the export failed");
      label.innerHTML = "";
      const link = document.createElement("a");
      link.href = exp.url;
      link.textContent = `Download ${exp.format.toUpperCase()}`;
      label.append(link);
      notify(row.dataset.flowName || "", exp);
    } catch (error) {
      label.textContent = error.message;
    }
  });
});
