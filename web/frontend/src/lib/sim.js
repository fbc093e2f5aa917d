// Reading simulate responses: chat lines, the path taken, the results and contact fields.

export function eventKey(e) {
  return JSON.stringify(e);
}

/** Turns new events into chat/log lines; events already seen (by key) are skipped. */
export function linesFrom(events, seen) {
  const lines = [];
  for (const e of events || []) {
    const key = eventKey(e);
    if (seen.has(key)) continue;
    seen.add(key);
    switch (e.type) {
      case "msg_created":
      case "ivr_created":
        lines.push({ who: "flow", text: (e.msg && e.msg.text) || "", quickReplies: (e.msg && e.msg.quick_replies) || [] });
        break;
      case "msg_received":
        break; // the simulator already shows what the tester typed
      case "contact_field_changed":
        lines.push({ who: "info", text: `${(e.field && (e.field.name || e.field.key)) || "field"} = ${valueText(e.value)}` });
        break;
      case "run_result_changed":
        lines.push({ who: "info", text: `result ${e.name} = ${e.value}${e.category ? ` (${e.category})` : ""}` });
        break;
      case "contact_groups_changed":
        lines.push({ who: "info", text: `groups: +${(e.groups_added || []).map((g) => g.name).join(", ")}` });
        break;
      case "webhook_called":
        lines.push({ who: "info", text: `webhook ${e.status || ""} ${e.url || ""}`.trim() });
        break;
      case "error":
      case "failure":
        lines.push({ who: "error", text: e.text || e.error || "error" });
        break;
      default:
        break;
    }
  }
  return lines;
}

export function valueText(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "object") return v.text !== undefined ? String(v.text) : JSON.stringify(v);
  return String(v);
}

/** Node and exit uuids on the session's path, the node it waits at, and the last one it reached. */
export function pathOf(session) {
  const nodes = new Set();
  const exits = new Set();
  let current = null;
  let last = null; // where the contact is or ended: the canvas follows it
  for (const run of (session && session.runs) || []) {
    for (const step of run.path || []) {
      nodes.add(step.node_uuid);
      if (step.exit_uuid) exits.add(step.exit_uuid);
      last = step.node_uuid;
    }
    if (run.status === "waiting" || run.status === "active") {
      const last = (run.path || [])[run.path.length - 1];
      if (last) current = last.node_uuid;
    }
  }
  return { nodes, exits, current, last: current || last };
}

/** Results as [name, value, category] rows whatever shape the API gives them in. */
export function resultRows(results) {
  return Object.entries(results || {}).map(([key, r]) =>
    r && typeof r === "object" ? [r.name || key, valueText(r.value), r.category || ""] : [key, valueText(r), ""],
  );
}

export function fieldRows(contact) {
  const fields = (contact && contact.fields) || {};
  return Object.entries(fields).map(([k, v]) => [k, valueText(v)]);
}
