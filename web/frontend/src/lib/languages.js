// ISO 639-3 languages for the "Add a language" dialog: parse the generated table once, search it
// by code or name, and say plainly why a code cannot be added.

/** [{code, code1, name}] from the tab-separated table of iso639-3-data.js. */
export function parseLanguages(table) {
  return table.split("\n").map((line) => {
    const [code, code1, name] = line.split("\t");
    return { code, code1, name };
  });
}

/** Best matches first: exact code (3 or 2 letters), then names starting with the query, then
 * names containing it. An empty query lists the most used languages' table order. */
export function searchLanguages(langs, query, limit = 50) {
  const q = query.trim().toLowerCase();
  if (!q) return langs.filter((l) => l.code1).slice(0, limit);
  const exact = [];
  const starts = [];
  const contains = [];
  for (const l of langs) {
    const name = l.name.toLowerCase();
    if (l.code === q || l.code1 === q) exact.push(l);
    else if (name.startsWith(q)) starts.push(l);
    else if (name.includes(q)) contains.push(l);
  }
  return [...exact, ...starts, ...contains].slice(0, limit);
}

/** Why `code` cannot be added to the flow, or "" when it can. */
export function languageProblem(langs, code, { base = "eng", existing = [] } = {}) {
  const c = (code || "").trim().toLowerCase();
  if (!c) return "Choose a language from the list.";
  if (!/^[a-z]{3}$/.test(c)) return `“${code}” is not an ISO 639-3 code: those have three letters, e.g. fra.`;
  if (!langs.some((l) => l.code === c)) return `“${c}” is not an ISO 639-3 language code.`;
  if (c === base) return `“${c}” is the flow’s own language.`;
  if (existing.includes(c)) return `The flow already has a “${c}” translation.`;
  return "";
}

export function languageName(langs, code) {
  const l = langs.find((x) => x.code === code);
  return l ? l.name : code;
}
