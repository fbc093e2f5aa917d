// What a card and a connection say: on the card (every action shows its content) and to a
// screen reader (names, not uuids).
import { ACTION_LABELS, exitRows } from "./flow.js";

const list = (xs, key = "name") => (xs || []).map((x) => (typeof x === "string" ? x : x[key] || x.name || "")).filter(Boolean).join(", ");

/** The content of one action as the card shows it; "" only when the action is really empty. */
export function actionText(a) {
  switch (a.type) {
    case "send_msg":
    case "say_msg":
      return a.text || "";
    case "send_email": {
      const to = list(a.addresses);
      const head = [to && `To: ${to}`, a.subject && `Subject: ${a.subject}`].filter(Boolean).join("\n");
      return [head, a.body].filter(Boolean).join("\n");
    }
    case "call_webhook":
      return a.url ? `${a.method || "GET"} ${a.url}` : "";
    case "call_resthook":
      return a.resthook || "";
    case "call_classifier":
      return [a.classifier && a.classifier.name, a.input].filter(Boolean).join(": ");
    case "set_run_result":
      return a.name ? `${a.name} = ${a.value || ""}` : "";
    case "set_contact_field":
      return a.field && (a.field.name || a.field.key) ? `${a.field.name || a.field.key} = ${a.value || ""}` : "";
    case "set_contact_name":
      return a.name || "";
    case "set_contact_language":
      return a.language || "";
    case "set_contact_channel":
      return (a.channel && a.channel.name) || "";
    case "set_contact_status":
      return a.status || "";
    case "add_contact_urn":
      return a.path ? `${a.scheme || "tel"}:${a.path}` : "";
    case "add_contact_groups":
      return list(a.groups);
    case "remove_contact_groups":
      return a.all_groups ? "all groups" : list(a.groups);
    case "add_input_labels":
      return list(a.labels);
    case "enter_flow":
      return (a.flow && a.flow.name) || "";
    case "start_session":
      return [a.flow && `Start ${a.flow.name}`, list(a.groups), list(a.contacts), list(a.urns), a.create_contact && "a new contact"].filter(Boolean).join(" · ");
    case "send_broadcast":
      return [a.text, [list(a.groups), list(a.contacts), list(a.urns)].filter(Boolean).join(", ")].filter(Boolean).join("\nTo: ");
    case "play_audio":
      return a.audio_url || "";
    case "open_ticket":
      return [a.topic && a.topic.name, a.body || a.note].filter(Boolean).join(": ");
    case "request_optin":
      return (a.optin && a.optin.name) || "";
    default: {
      // an action this editor has no form for still shows what it holds
      const rest = Object.entries(a).filter(([k, v]) => k !== "uuid" && k !== "type" && v !== "" && v != null);
      return rest.map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join("\n");
    }
  }
}

function short(text, n = 60) {
  const t = String(text || "").replace(/\s+/g, " ").trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}

/** A card's accessible name: what it does, in words. */
export function cardLabel(node) {
  if (!node) return "card";
  const parts = node.actions.map((a) => `${ACTION_LABELS[a.type] || a.type}${actionText(a) ? ` “${short(actionText(a))}”` : ""}`);
  if (node.router) {
    const r = node.router;
    const cats = (r.categories || []).map((c) => c.name).join(", ");
    parts.push(r.wait ? `wait for a response${r.result_name ? ` saved as ${r.result_name}` : ""} (${cats})` : `split by ${r.operand || "expression"} (${cats})`);
  }
  return `Card: ${parts.join(", then ") || "empty"}`;
}

/** A connection's accessible name: from which card and category to which card. */
export function edgeLabel(source, exitUuid, target) {
  const row = source ? exitRows(source).find((r) => r.uuid === exitUuid) : null;
  const from = source ? cardLabel(source).replace(/^Card: /, "") : "a card";
  const to = target ? cardLabel(target).replace(/^Card: /, "") : "a card";
  return `Connection from ${short(from, 50)}${row && row.name ? `, category ${row.name}` : ""}, to ${short(to, 50)}`;
}

/** A connection's visible caption (shown when it is hovered or selected): "Yes → Send message". */
export function edgeCaption(source, exitUuid, target) {
  const row = source ? exitRows(source).find((r) => r.uuid === exitUuid) : null;
  const to = target ? cardLabel(target).replace(/^Card: /, "") : "a card";
  return `${row && row.name ? row.name : "then"} → ${short(to, 32)}`;
}
