// What is wrong or suspicious in a definition, found without the server: references to results
// no node saves, contact fields the workspace does not have, exits that lead to a missing node
// or leave the flow silently, and cards nothing leads to.
import { exitRows, namesInFlow, snakify } from "./flow.js";

const RESULT_REF = /@(?:run\.)?results\.([\p{L}\p{N}_]+)/gu;
const FIELD_REF = /@(?:contact\.)?fields\.([\p{L}\p{N}_]+)/gu;

function strings(value, out = []) {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => strings(v, out));
  else if (value && typeof value === "object") Object.values(value).forEach((v) => strings(v, out));
  return out;
}

function nodeName(node, index) {
  const a = node.actions[0];
  const text = a && (a.text || a.subject || a.name || a.url);
  if (text) return `“${String(text).slice(0, 40)}”`;
  if (node.router && node.router.result_name) return `“${node.router.result_name}”`;
  return `card ${index + 1}`;
}

/**
 * @param knownFields contact field keys of the workspace, or null while they are not loaded
 *   (then no field is reported unknown).
 */
export function flowIssues(def, { knownFields = null } = {}) {
  const issues = [];
  const names = namesInFlow(def);
  const results = new Set(names.results);
  const fields = knownFields ? new Set([...knownFields, ...names.fields]) : null;
  const uuids = new Set(def.nodes.map((n) => n.uuid));
  const incoming = new Set();
  def.nodes.forEach((n) => n.exits.forEach((e) => e.destination_uuid && incoming.add(e.destination_uuid)));

  def.nodes.forEach((node, i) => {
    const where = nodeName(node, i);
    const add = (kind, message) => issues.push({ node_uuid: node.uuid, kind, message: `${where}: ${message}` });
    const texts = strings({ actions: node.actions, router: node.router ? { operand: node.router.operand, cases: node.router.cases } : null });
    const missing = new Set();
    const unknown = new Set();
    for (const t of texts) {
      for (const m of t.matchAll(RESULT_REF)) if (!results.has(snakify(m[1]))) missing.add(m[1]);
      if (fields) for (const m of t.matchAll(FIELD_REF)) if (!fields.has(m[1])) unknown.add(m[1]);
    }
    missing.forEach((r) => add("missing_result", `uses @results.${r}, which no card saves`));
    unknown.forEach((f) => add("unknown_field", `uses @fields.${f}, which is not a contact field of this workspace`));
    for (const a of node.actions) {
      if ((a.type === "send_msg" || a.type === "say_msg") && !String(a.text || "").trim()) add("empty", "the message is empty");
    }
    const rows = exitRows(node);
    const connected = rows.filter((r) => r.destination);
    for (const r of rows) {
      if (r.destination && !uuids.has(r.destination)) add("dangling_exit", `${r.name ? `“${r.name}”` : "the exit"} leads to a card that no longer exists`);
    }
    if (rows.length > 1 && connected.length > 0) {
      for (const r of rows) if (!r.destination) add("dangling_exit", `“${r.name}” is not connected: contacts in it leave the flow`);
    }
    if (i > 0 && !incoming.has(node.uuid)) add("unreachable", "nothing leads to this card");
  });
  return issues;
}
