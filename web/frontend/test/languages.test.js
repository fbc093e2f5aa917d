// The "Add a language" dialog's list: ISO 639-3 search and the reasons a code is refused.
import assert from "node:assert/strict";
import test from "node:test";
import table from "../src/lib/iso639-3-data.js";
import { languageName, languageProblem, parseLanguages, searchLanguages } from "../src/lib/languages.js";

const langs = parseLanguages(table);

test("the table holds living ISO 639-3 languages with their names", () => {
  assert.ok(langs.length > 7000, `${langs.length} languages`);
  assert.equal(languageName(langs, "fra"), "French");
  assert.equal(languageName(langs, "kin"), "Kinyarwanda");
  assert.ok(langs.every((l) => /^[a-z]{3}$/.test(l.code) && l.name));
});

test("search: exact code (3 or 2 letters) first, then names that start with, then contain the query", () => {
  assert.equal(searchLanguages(langs, "fra")[0].code, "fra");
  assert.equal(searchLanguages(langs, "FR")[0].code, "fra");
  const swa = searchLanguages(langs, "swahili").map((l) => l.code);
  assert.ok(swa.includes("swa") && swa.includes("swh"), swa.join(","));
  const names = searchLanguages(langs, "arabic", 200).map((l) => l.name.toLowerCase());
  const firstContains = names.findIndex((n) => !n.startsWith("arabic"));
  assert.ok(firstContains > 0 && names.slice(firstContains).every((n) => !n.startsWith("arabic")));
  assert.deepEqual(searchLanguages(langs, "zzzz"), []);
  assert.equal(searchLanguages(langs, "a", 7).length, 7);
  // with no query: the common languages (those with an ISO 639-1 code)
  assert.ok(searchLanguages(langs, "").every((l) => l.code1));
});

test("an unknown, malformed, base or existing code is refused in words", () => {
  assert.equal(languageProblem(langs, "fra", { base: "eng", existing: [] }), "");
  assert.equal(languageProblem(langs, " SPA ", { base: "eng", existing: [] }), "");
  assert.match(languageProblem(langs, "xqz"), /“xqz” is not an ISO 639-3 language code/);
  assert.match(languageProblem(langs, "french"), /three letters/);
  assert.match(languageProblem(langs, ""), /Choose a language/);
  assert.match(languageProblem(langs, "eng", { base: "eng" }), /own language/);
  assert.match(languageProblem(langs, "fra", { base: "eng", existing: ["fra"] }), /already has/);
});
