// Channel and API-key pages: copy buttons, the test-message form, live message statuses and the
// link status of types that have one. Every part works without JavaScript too (plain form post,
// selectable read-only fields); this only makes it quicker.
(function () {
  "use strict";

  // ---- copy buttons ------------------------------------------------------------------------
  const copyStatus = document.getElementById("copy-status");

  async function copy(input) {
    // navigator.clipboard needs a secure context (https or localhost); fall back to a selection.
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(input.value);
        return true;
      }
    } catch (err) {
      /* permission refused: fall through to the selection copy */
    }
    input.focus();
    input.select();
    return document.execCommand && document.execCommand("copy");
  }

  document.querySelectorAll("button[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const input = document.getElementById(button.dataset.copy);
      const ok = await copy(input);
      button.textContent = ok ? "Copied" : "Copy";
      if (copyStatus) copyStatus.textContent = ok ? `Copied ${input.value}` : "Select the URL and copy it";
      setTimeout(() => { button.textContent = "Copy"; }, 2000);
    });
  });

  // ---- recent messages: rows added by the form, statuses updated live ------------------------
  const table = document.getElementById("recent");
  const body = table && table.querySelector("tbody");
  const labels = table ? Array.from(table.querySelectorAll("thead th"), (th) => th.textContent) : [];

  function cell(text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function upsert(msg) {
    if (!body) return;
    let row = body.querySelector(`tr[data-uuid="${msg.uuid}"]`);
    if (!row) {
      row = document.createElement("tr");
      row.dataset.uuid = msg.uuid;
      const link = document.createElement("a");
      link.href = `/messages/${msg.uuid}/`;
      link.textContent = msg.text || "(no text)";
      const textCell = document.createElement("td");
      textCell.appendChild(link);
      const when = msg.created_on ? new Date(msg.created_on) : new Date();
      row.append(cell(when.toISOString().replace("T", " ").slice(0, 19)), cell(msg.direction || "out"),
        cell(msg.urn || ""), textCell, cell(""));
      Array.from(row.children).forEach((td, i) => { td.dataset.label = labels[i] || ""; });
      body.prepend(row);
    }
    const status = row.lastElementChild;
    status.textContent = msg.status;
    status.className = "status " + msg.status;
    status.title = msg.error || "";
    return row;
  }

  // ---- test message form -------------------------------------------------------------------
  const form = document.getElementById("test-message");
  const result = document.getElementById("test-result");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      form.querySelectorAll("[data-error-for]").forEach((p) => { p.textContent = ""; });
      form.querySelectorAll(".has-error").forEach((el) => el.classList.remove("has-error"));
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      result.textContent = "Queueing…";
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        const data = await response.json();
        if (response.ok) {
          upsert({ ...data, direction: "out" });
          result.textContent = `Queued to ${data.urn}: status updates appear below.`;
        } else {
          const errors = data.errors || {};
          const general = [];
          Object.entries(errors).forEach(([field, list]) => {
            const text = list.map((e) => e.message).join(" ");
            const slot = form.querySelector(`[data-error-for="${field}"]`);
            if (slot) {
              slot.textContent = text;
              slot.parentElement.classList.add("has-error");
            } else {
              general.push(text);
            }
          });
          result.textContent = general.join(" ") || "Please fix the fields above.";
        }
      } catch (err) {
        result.textContent = "Could not reach the server; try again.";
      } finally {
        button.disabled = false;
      }
    });
  }

  // ---- websocket: message statuses for this channel -----------------------------------------
  const live = document.getElementById("live");
  function connect(delay) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/events/`);
    socket.onopen = () => { if (live) { live.textContent = "live"; live.classList.add("on"); } };
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.kind === "msg" && event.channel === table.dataset.channel) upsert(event);
    };
    socket.onclose = () => {
      if (live) { live.textContent = "reconnecting…"; live.classList.remove("on"); }
      setTimeout(() => connect(Math.min(delay * 2, 10000)), delay);
    };
  }
  if (table) connect(500);

  // ---- link status (e.g. SMPP): refreshed from the API while the page is open ----------------
  const linkStatus = document.getElementById("live-status");
  if (linkStatus) {
    setInterval(async () => {
      if (document.hidden) return;
      try {
        const response = await fetch(linkStatus.dataset.url, { headers: { Accept: "application/json" } });
        if (!response.ok) return;
        const status = (await response.json()).live_status || {};
        Object.entries(status).forEach(([key, value]) => {
          const el = linkStatus.querySelector(`[data-key="${key}"]`);
          if (!el) return;
          el.textContent = value === null || value === "" ? "—" : String(value);
          if (key === "state") el.className = "state " + value;
        });
      } catch (err) {
        /* the next tick tries again */
      }
    }, 5000);
  }
})();
