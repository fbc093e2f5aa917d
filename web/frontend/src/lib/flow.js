// Pure operations on a goflow definition (spec 13.x-14.x). Every function returns a new
// definition and never mutates its input, so undo/redo can keep plain snapshots.

export function uuid4() {
  if (globalThis.crypto && globalThis.crypto.randomUUID) return globalThis.crypto.randomUUID();
  return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, (c) => {
    const r = (Math.random() * 16) | 0;
    return (c === "x" ? r : (r & 0x3) | 0x8).toString(16);
  });
}

export const NODE_KINDS = [
  { kind: "send_msg", label: "Send message" },
  { kind: "wait_for_response", label: "Wait for response" },
  { kind: "split_by_expression", label: "Split by expression" },
  { kind: "call_webhook", label: "Call webhook" },
  { kind: "set_run_result", label: "Set result" },
  { kind: "set_contact_field", label: "Set contact field" },
  { kind: "add_contact_groups", label: "Add to group" },
  { kind: "enter_flow", label: "Enter another flow" },
];

export const ACTION_LABELS = {
  send_msg: "Send message",
  call_webhook: "Call webhook",
  set_run_result: "Set result",
  set_contact_field: "Set field",
  set_contact_name: "Set name",
  set_contact_language: "Set language",
  add_contact_groups: "Add to group",
  remove_contact_groups: "Remove from group",
  enter_flow: "Enter flow",
  send_email: "Send email",
  add_input_labels: "Label input",
  start_session: "Start others",
  send_broadcast: "Send broadcast",
  say_msg: "Say message",
  play_audio: "Play audio",
};

export const CASE_TYPES = [
  ["has_any_word", "has any of the words"],
  ["has_all_words", "has all of the words"],
  ["has_phrase", "has the phrase"],
  ["has_only_phrase", "has only the phrase"],
  ["has_beginning", "starts with"],
  ["has_text", "has some text"],
  ["has_number", "has a number"],
  ["has_number_between", "has a number between"],
  ["has_number_lt", "has a number below"],
  ["has_number_gt", "has a number above"],
  ["has_number_eq", "has a number equal to"],
  ["has_date", "has a date"],
  ["has_email", "has an email"],
  ["has_phone", "has a phone number"],
  ["has_pattern", "matches the regex"],
  ["has_only_text", "is exactly"],
];

export function emptyDefinition({ uuid, name }) {
  return {
    uuid,
    name: name || "",
    spec_version: "14.4.1",
    language: "eng",
    type: "messaging",
    revision: 0,
    expire_after_minutes: 10080,
    localization: {},
    nodes: [],
    _ui: { nodes: {} },
  };
}

/** Fills what older or hand-written definitions leave out, so the editor can rely on it. */
export function normalize(def) {
  const d = { ...def };
  d.nodes = (d.nodes || []).map((n) => ({ ...n, actions: n.actions || [], exits: n.exits || [] }));
  d.localization = d.localization || {};
  const ui = d._ui || {};
  const uiNodes = { ...(ui.nodes || {}) };
  d.nodes.forEach((n, i) => {
    if (!uiNodes[n.uuid] || !uiNodes[n.uuid].position) {
      uiNodes[n.uuid] = { ...(uiNodes[n.uuid] || {}), position: { left: 40 + (i % 4) * 300, top: 40 + Math.floor(i / 4) * 220 } };
    }
  });
  d._ui = { ...ui, nodes: uiNodes };
  return d;
}

export function nodeType(node) {
  if (!node.router) return "execute_actions";
  if (node.router.wait) return "wait_for_response";
  const acts = node.actions || [];
  if (acts.some((a) => a.type === "call_webhook")) return "split_by_webhook";
  if (acts.some((a) => a.type === "enter_flow")) return "split_by_subflow";
  return "split_by_expression";
}

function category(name) {
  return { uuid: uuid4(), name, exit_uuid: uuid4() };
}

function routerNode(actions, { operand, cases = [], categories, defaultName, wait, resultName = "" }) {
  const cats = categories.map(category);
  const exits = cats.map((c) => ({ uuid: c.exit_uuid, destination_uuid: null }));
  const byName = Object.fromEntries(cats.map((c) => [c.name, c]));
  const router = {
    type: "switch",
    operand,
    cases: cases.map((c) => ({ uuid: uuid4(), type: c.type, arguments: c.arguments, category_uuid: byName[c.category].uuid })),
    categories: cats,
    default_category_uuid: defaultName ? byName[defaultName].uuid : undefined,
  };
  if (resultName) router.result_name = resultName;
  if (wait) router.wait = wait;
  if (!router.default_category_uuid) delete router.default_category_uuid;
  return { uuid: uuid4(), actions, router, exits };
}

/** A new node of one of NODE_KINDS, ready to place on the canvas. */
export function newNode(kind, { resultName = "" } = {}) {
  switch (kind) {
    case "send_msg":
      return { uuid: uuid4(), actions: [newAction("send_msg")], exits: [{ uuid: uuid4(), destination_uuid: null }] };
    case "wait_for_response":
      return routerNode([], {
        operand: "@input.text",
        categories: ["All Responses"],
        defaultName: "All Responses",
        wait: { type: "msg" },
        resultName: resultName || "Result",
      });
    case "split_by_expression":
      return routerNode([], { operand: "@contact.name", categories: ["Other"], defaultName: "Other" });
    case "call_webhook": {
      const action = newAction("call_webhook");
      return routerNode([action], {
        operand: `@results.${snakify(action.result_name)}.category`,
        cases: [{ type: "has_only_text", arguments: ["Success"], category: "Success" }],
        categories: ["Success", "Failure"],
        defaultName: "Failure",
      });
    }
    case "enter_flow":
      return routerNode([newAction("enter_flow")], {
        operand: "@child.run.status",
        cases: [
          { type: "has_only_text", arguments: ["completed"], category: "Complete" },
          { type: "has_only_text", arguments: ["expired"], category: "Expired" },
        ],
        categories: ["Complete", "Expired"],
        defaultName: "Expired",
      });
    default:
      return { uuid: uuid4(), actions: [newAction(kind)], exits: [{ uuid: uuid4(), destination_uuid: null }] };
  }
}

export function newAction(type) {
  const base = { uuid: uuid4(), type };
  switch (type) {
    case "send_msg":
      return { ...base, text: "", quick_replies: [] };
    case "call_webhook":
      return { ...base, method: "GET", url: "", headers: {}, body: "", result_name: "Result" };
    case "set_run_result":
      return { ...base, name: "", value: "", category: "" };
    case "set_contact_field":
      return { ...base, field: { key: "", name: "" }, value: "" };
    case "add_contact_groups":
      return { ...base, groups: [] };
    case "enter_flow":
      return { ...base, flow: { uuid: "", name: "" } };
    case "set_contact_name":
      return { ...base, name: "" };
    default:
      return base;
  }
}

export function snakify(name) {
  return String(name || "")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_]+/gu, "_")
    .replace(/^_+|_+$/g, "");
}

export function findNode(def, uuid) {
  return def.nodes.find((n) => n.uuid === uuid);
}

export function addNode(def, node, position) {
  return {
    ...def,
    nodes: [...def.nodes, node],
    _ui: { ...def._ui, nodes: { ...def._ui.nodes, [node.uuid]: { position, type: nodeType(node) } } },
  };
}

export function replaceNode(def, node) {
  const ui = def._ui.nodes[node.uuid] || {};
  return {
    ...def,
    nodes: def.nodes.map((n) => (n.uuid === node.uuid ? node : n)),
    _ui: { ...def._ui, nodes: { ...def._ui.nodes, [node.uuid]: { ...ui, type: nodeType(node) } } },
  };
}

/** Removes nodes and clears every exit that pointed at them. */
export function deleteNodes(def, uuids) {
  const gone = new Set(uuids);
  const uiNodes = { ...def._ui.nodes };
  uuids.forEach((u) => delete uiNodes[u]);
  return {
    ...def,
    nodes: def.nodes
      .filter((n) => !gone.has(n.uuid))
      .map((n) =>
        n.exits.some((e) => gone.has(e.destination_uuid))
          ? { ...n, exits: n.exits.map((e) => (gone.has(e.destination_uuid) ? { ...e, destination_uuid: null } : e)) }
          : n,
      ),
    _ui: { ...def._ui, nodes: uiNodes },
  };
}

/** Points one exit at a node (or at nothing with null); a node may not route to itself. */
export function connectExit(def, exitUuid, destinationUuid) {
  return {
    ...def,
    nodes: def.nodes.map((n) => {
      if (!n.exits.some((e) => e.uuid === exitUuid)) return n;
      if (destinationUuid && n.uuid === destinationUuid) return n;
      return { ...n, exits: n.exits.map((e) => (e.uuid === exitUuid ? { ...e, destination_uuid: destinationUuid || null } : e)) };
    }),
  };
}

export function moveNodes(def, positions) {
  const uiNodes = { ...def._ui.nodes };
  for (const [uuid, pos] of Object.entries(positions)) {
    uiNodes[uuid] = { ...(uiNodes[uuid] || {}), position: { left: Math.round(pos.x), top: Math.round(pos.y) } };
  }
  return { ...def, _ui: { ...def._ui, nodes: uiNodes } };
}

/** The rows a node card shows at its bottom: one per category, or a single exit. */
export function exitRows(node) {
  if (node.router && node.router.categories && node.router.categories.length) {
    return node.router.categories.map((c) => ({
      uuid: c.exit_uuid,
      categoryUuid: c.uuid,
      name: c.name,
      destination: (node.exits.find((e) => e.uuid === c.exit_uuid) || {}).destination_uuid || null,
    }));
  }
  return node.exits.map((e) => ({ uuid: e.uuid, categoryUuid: null, name: "", destination: e.destination_uuid || null }));
}

/** React Flow edges for every connected exit. */
export function edgesOf(def, { taken = new Set() } = {}) {
  const known = new Set(def.nodes.map((n) => n.uuid));
  const edges = [];
  for (const n of def.nodes) {
    for (const e of n.exits) {
      if (!e.destination_uuid || !known.has(e.destination_uuid)) continue;
      edges.push({
        id: e.uuid,
        source: n.uuid,
        sourceHandle: e.uuid,
        target: e.destination_uuid,
        targetHandle: "in",
        className: taken.has(e.uuid) ? "taken" : undefined,
        animated: taken.has(e.uuid),
      });
    }
  }
  return edges;
}

/** Result names and contact field keys the definition itself defines (for autocomplete). */
export function namesInFlow(def) {
  const results = new Set();
  const fields = new Set();
  for (const n of def.nodes) {
    if (n.router && n.router.result_name) results.add(snakify(n.router.result_name));
    for (const a of n.actions) {
      if (a.type === "set_run_result" && a.name) results.add(snakify(a.name));
      if (a.type === "call_webhook" && a.result_name) results.add(snakify(a.result_name));
      if (a.type === "set_contact_field" && a.field && a.field.key) fields.add(a.field.key);
    }
  }
  return { results: [...results].sort(), fields: [...fields].sort() };
}

// ------------------------------------------------------------------------------- routers

/** The editable shape of a switch router: its rules, result name and timeout. */
export function routerForm(node) {
  const r = node.router || { categories: [], cases: [] };
  const catName = Object.fromEntries((r.categories || []).map((c) => [c.uuid, c.name]));
  const timeout = r.wait && r.wait.timeout ? r.wait.timeout.seconds : 0;
  return {
    defaultName: catName[r.default_category_uuid] || "",
    operand: r.operand || "@input.text",
    resultName: r.result_name || "",
    wait: Boolean(r.wait),
    timeout,
    cases: (r.cases || []).map((c) => ({
      uuid: c.uuid,
      type: c.type,
      arguments: (c.arguments || []).join(" "),
      category: catName[c.category_uuid] || "",
    })),
  };
}

const TIMEOUT_NAME = "No Response";

function argumentsFor(type, text) {
  const value = String(text || "").trim();
  if (type === "has_number_between") return value.split(/\s+/).slice(0, 2);
  if (["has_text", "has_number", "has_date", "has_email", "has_phone"].includes(type)) return [];
  return [value];
}

/**
 * Applies a routerForm back to a node. Categories keep their uuid and exit (and so their
 * connection) when a rule keeps its category name; the default category is named
 * "Other" unless the node only collects ("All Responses").
 */
export function applyRouterForm(node, form) {
  const old = node.router || { categories: [] };
  const oldCats = Object.fromEntries((old.categories || []).map((c) => [c.name, c]));
  const oldExits = Object.fromEntries(node.exits.map((e) => [e.uuid, e]));
  const names = [];
  for (const c of form.cases) {
    const name = (c.category || "").trim();
    if (name && !names.includes(name)) names.push(name);
  }
  let defaultName = form.defaultName || "Other";
  if (names.length && defaultName === "All Responses") defaultName = "Other";
  if (!names.length && form.wait && defaultName === "Other") defaultName = "All Responses";
  const all = [...names.filter((n) => n !== defaultName), defaultName];
  if (form.wait && form.timeout > 0) all.push(TIMEOUT_NAME);
  const cats = all.map((name) => (oldCats[name] ? { ...oldCats[name] } : category(name)));
  const byName = Object.fromEntries(cats.map((c) => [c.name, c]));
  const router = {
    type: "switch",
    operand: form.wait ? "@input.text" : form.operand || "@input.text",
    cases: form.cases
      .filter((c) => (c.category || "").trim())
      .map((c) => ({ uuid: c.uuid || uuid4(), type: c.type, arguments: argumentsFor(c.type, c.arguments), category_uuid: byName[c.category.trim()].uuid })),
    categories: cats,
    default_category_uuid: byName[defaultName].uuid,
  };
  if (form.resultName) router.result_name = form.resultName;
  if (form.wait) {
    router.wait = { type: "msg" };
    if (form.timeout > 0) router.wait.timeout = { seconds: Number(form.timeout), category_uuid: byName[TIMEOUT_NAME].uuid };
  }
  const exits = cats.map((c) => ({ uuid: c.exit_uuid, destination_uuid: (oldExits[c.exit_uuid] || {}).destination_uuid || null }));
  return { ...node, router, exits };
}

/** Drops the router of a node, leaving a single exit (kept if it was connected). */
export function removeRouter(node) {
  const keep = node.exits.find((e) => e.destination_uuid) || node.exits[0] || { uuid: uuid4(), destination_uuid: null };
  const { router: _router, ...rest } = node;
  return { ...rest, exits: [keep] };
}

// -------------------------------------------------------------------------- translations

export function languages(def) {
  return Object.keys(def.localization || {}).sort();
}

/** The localizable texts of a node: action texts and category names. */
export function localizables(node) {
  const items = [];
  for (const a of node.actions) {
    if (a.type === "send_msg" || a.type === "say_msg") items.push({ uuid: a.uuid, key: "text", base: a.text || "" });
  }
  for (const c of (node.router && node.router.categories) || []) items.push({ uuid: c.uuid, key: "name", base: c.name });
  return items;
}

export function translation(def, lang, uuid, key) {
  const v = (((def.localization || {})[lang] || {})[uuid] || {})[key];
  return Array.isArray(v) ? v[0] || "" : "";
}

export function setTranslation(def, lang, uuid, key, value) {
  const loc = { ...(def.localization || {}) };
  const l = { ...(loc[lang] || {}) };
  const item = { ...(l[uuid] || {}) };
  if (value) item[key] = [value];
  else delete item[key];
  if (Object.keys(item).length) l[uuid] = item;
  else delete l[uuid];
  loc[lang] = l;
  return { ...def, localization: loc };
}

export function addLanguage(def, lang) {
  if (!lang || (def.localization || {})[lang]) return def;
  return { ...def, localization: { ...(def.localization || {}), [lang]: {} } };
}
