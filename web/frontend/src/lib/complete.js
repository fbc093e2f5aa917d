// @-expression autocomplete: what can follow the "@" being typed at the caret.

const CONTACT = ["contact", "contact.name", "contact.first_name", "contact.language", "contact.urn", "contact.uuid", "contact.groups", "contact.fields", "contact.created_on"];
const INPUT = ["input", "input.text", "input.attachments", "input.created_on"];
const OTHER = ["run.uuid", "run.created_on", "urns.tel", "webhook", "webhook.json", "child.results", "parent.results", "trigger.params"];

/** Every expression path the editor knows, given result names and field keys. */
export function completions({ results = [], fields = [] } = {}) {
  const out = [...CONTACT, ...INPUT];
  for (const f of fields) out.push(`contact.fields.${f}`, `fields.${f}`);
  out.push("results");
  for (const r of results) out.push(`results.${r}`, `results.${r}.value`, `results.${r}.category`);
  out.push(...OTHER);
  return out;
}

/**
 * The expression fragment being typed just before `caret`, or null when the caret is not in
 * one: "Hi @contact.na|" -> {start: 3, prefix: "contact.na"}. "@@" is a literal at-sign.
 */
export function fragmentAt(text, caret) {
  const before = text.slice(0, caret);
  const m = /@([A-Za-z_][\w.]*)?$/.exec(before);
  if (!m) return null;
  const start = m.index;
  if (start > 0 && before[start - 1] === "@") return null;
  return { start, prefix: m[1] || "" };
}

export function suggest(text, caret, names, limit = 8) {
  const frag = fragmentAt(text, caret);
  if (!frag) return { frag: null, items: [] };
  const p = frag.prefix.toLowerCase();
  const items = completions(names).filter((c) => c.toLowerCase().startsWith(p) && c.toLowerCase() !== p);
  return { frag, items: items.slice(0, limit) };
}

/** Inserts a chosen completion in place of the fragment; returns the new text and caret. */
export function accept(text, caret, frag, choice) {
  const insert = "@" + choice;
  const next = text.slice(0, frag.start) + insert + text.slice(caret);
  return { text: next, caret: frag.start + insert.length };
}
