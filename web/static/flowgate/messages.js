// Live message log: rows are added and updated from the workspace websocket.
(function () {
  const table = document.getElementById("msg-log");
  const live = document.getElementById("live");
  if (!table) return;
  const body = table.querySelector("tbody");
  const want = table.dataset;
  const query = (want.q || "").toLowerCase();
  const labels = Array.from(table.querySelectorAll("thead th"), (th) => th.textContent);
  const empty = document.getElementById("msg-empty");

  // The same filters the server applied, so a live row never shows up in a log it doesn't match.
  function matches(event) {
    if (want.liveNew === "0") return false; // an end date in the past or an older page
    if (want.direction && event.direction !== want.direction) return false;
    if (want.status && event.status !== want.status) return false;
    if (want.channel && event.channel !== want.channel) return false;
    if (query && !`${event.text} ${event.urn}`.toLowerCase().includes(query)) return false;
    return true;
  }

  function cell(text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function render(event) {
    let row = body.querySelector(`tr[data-uuid="${event.uuid}"]`);
    if (!row) {
      if (!matches(event)) return;
      row = document.createElement("tr");
      row.dataset.uuid = event.uuid;
      const when = new Date(event.created_on);
      const link = document.createElement("a");
      link.href = `/messages/${event.uuid}/`;
      const text = event.text || "(no text)";
      link.textContent = text.length > 80 ? text.slice(0, 79) + "…" : text;
      const textCell = document.createElement("td");
      textCell.appendChild(link);
      row.append(cell(when.toISOString().replace("T", " ").slice(0, 19)), cell(event.direction), cell(event.urn),
        textCell, cell(event.channel_name || ""), cell(event.status, "status " + event.status));
      Array.from(row.children).forEach((td, i) => { td.dataset.label = labels[i] || ""; });
      body.prepend(row);
      if (empty) empty.hidden = true;
    } else {
      const statusCell = row.lastElementChild;
      statusCell.textContent = event.status;
      statusCell.className = "status " + event.status;
    }
  }

  function connect(delay) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/events/`);
    socket.onopen = () => { live.textContent = "live"; live.classList.add("on"); };
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.kind === "msg") render(event);
    };
    socket.onclose = () => {
      live.textContent = "reconnecting…";
      live.classList.remove("on");
      setTimeout(() => connect(Math.min(delay * 2, 10000)), delay);
    };
  }
  connect(500);
})();
