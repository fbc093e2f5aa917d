// Incoming-call popup on every page: listens to the workspace websocket for "call" events and
// shows who is calling (the caller's contact), like a CRM does. Text only: nothing from the
// event is ever inserted as HTML.
(function () {
  "use strict";
  const FINAL = ["completed", "busy", "no-answer", "failed", "canceled"];
  const popups = new Map(); // call uuid -> popup element
  let stack = null;

  function container() {
    if (stack) return stack;
    stack = document.createElement("div");
    stack.id = "call-popups";
    stack.style.cssText =
      "position:fixed;right:1rem;bottom:1rem;z-index:1000;display:flex;flex-direction:column;gap:.6rem;max-width:22rem";
    document.body.appendChild(stack);
    return stack;
  }

  function line(text, css) {
    const el = document.createElement("div");
    el.textContent = text;
    if (css) el.style.cssText = css;
    return el;
  }

  function link(href, text) {
    const a = document.createElement("a");
    a.textContent = text;
    if (typeof href === "string" && href.startsWith("/")) a.href = href;
    a.style.marginRight = ".8rem";
    return a;
  }

  function show(event) {
    const contact = event.contact || {};
    const popup = document.createElement("div");
    popup.className = "call-popup";
    popup.dataset.uuid = event.uuid;
    popup.setAttribute("role", "alertdialog");
    popup.setAttribute("aria-label", "Incoming call");
    popup.style.cssText =
      "background:#fff;border:2px solid #2f7d4f;border-radius:10px;padding:.8rem 1rem;box-shadow:0 6px 24px rgba(0,0,0,.18);font:inherit";
    popup.append(
      line("Incoming call", "font-weight:600;color:#2f7d4f;margin-bottom:.3rem"),
      line(contact.name || event.from_number || "Unknown caller", "font-size:1.15rem"),
    );
    const number = line(event.from_number || "", "color:#555");
    number.className = "call-popup-number";
    const status = line(event.status || "ringing", "margin:.3rem 0");
    status.className = "call-popup-status";
    popup.append(number, status);
    if (event.channel && event.channel.name) popup.append(line("on " + event.channel.name, "color:#777;font-size:.85rem"));
    const actions = document.createElement("div");
    actions.style.marginTop = ".5rem";
    if (contact.url) {
      const open = link(contact.url, "Open contact");
      open.className = "call-popup-contact";
      actions.append(open);
    }
    if (event.url) actions.append(link(event.url, "Call details"));
    const dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.textContent = "Dismiss";
    dismiss.className = "call-popup-dismiss";
    dismiss.addEventListener("click", () => {
      popup.remove();
      popups.delete(event.uuid);
    });
    actions.append(dismiss);
    popup.append(actions);
    container().prepend(popup);
    popups.set(event.uuid, popup);
  }

  function update(event) {
    const popup = popups.get(event.uuid);
    if (!popup) return;
    const status = popup.querySelector(".call-popup-status");
    status.textContent = FINAL.includes(event.status) ? "ended: " + event.status : event.status;
    if (FINAL.includes(event.status)) popup.style.borderColor = "#999";
  }

  function onEvent(event) {
    if (event.kind !== "call") return;
    if (event.event === "incoming" && event.direction === "in" && !popups.has(event.uuid)) show(event);
    else update(event);
  }

  function connect(delay) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/events/`);
    socket.onopen = () => {
      delay = 500;
      document.documentElement.dataset.callsLive = "1";
    };
    socket.onmessage = (message) => {
      try {
        onEvent(JSON.parse(message.data));
      } catch (err) {
        console.warn("call event not understood", err);
      }
    };
    socket.onclose = (closed) => {
      delete document.documentElement.dataset.callsLive;
      if (closed.code === 4401 || closed.code === 4403) return; // logged out / no workspace
      setTimeout(() => connect(Math.min(delay * 2, 10000)), delay);
    };
  }

  connect(500);
})();
