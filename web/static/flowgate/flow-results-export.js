// Results exports run as a job: start one, poll its progress, then offer the file.
const csrf = () => (document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/) || [])[1] || "";
async function call(url, options = {}) {
  const response = await fetch(url, {credentials: "same-origin", headers: {"Content-Type": "application/json", "X-CSRFToken": decodeURIComponent(csrf())}, ...options});
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || body.detail || `request failed (${response.status})`);
  return body;
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
        label.textContent = `${exp.progress}%`;
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
    } catch (error) {
      label.textContent = error.message;
    }
  });
});
