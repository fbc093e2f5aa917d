import { useEffect, useMemo, useRef, useState } from "react";
import { languageProblem, parseLanguages, searchLanguages } from "../lib/languages.js";

/** The styled in-page dialog of the flows list (`dialog.fg-dialog`), for the editor: a modal
 * <dialog> so the browser keeps focus inside it and the page behind inert; Escape cancels;
 * `initialFocus` (the safe answer) gets the focus. Replaces the native confirm()/prompt(). */
export default function Dialog({ id, title, describedBy, initialFocus, onCancel, className = "", children }) {
  const ref = useRef(null);
  const cancelled = useRef(onCancel);
  cancelled.current = onCancel;
  useEffect(() => {
    const d = ref.current;
    if (!d.open) d.showModal();
    (initialFocus && initialFocus.current ? initialFocus.current : d).focus();
    return () => {
      if (d.open) d.close();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return (
    <dialog
      ref={ref}
      className={`fg-dialog ${className}`.trim()}
      data-dialog={id}
      aria-labelledby={`${id}-title`}
      aria-describedby={describedBy}
      onKeyDown={(e) => {
        // the modal dialog makes the page inert; this also keeps Tab from leaving for the
        // browser's own controls: it wraps from the last control to the first and back
        if (e.key !== "Tab") return;
        const f = [...ref.current.querySelectorAll("button, input, select, textarea, [href], [tabindex]:not([tabindex='-1'])")].filter(
          (el) => !el.disabled && el.offsetParent !== null,
        );
        if (!f.length) return;
        const [first, last] = [f[0], f[f.length - 1]];
        if (e.shiftKey && document.activeElement === first) {
          e.preventDefault();
          last.focus();
        } else if (!e.shiftKey && document.activeElement === last) {
          e.preventDefault();
          first.focus();
        }
      }}
      onCancel={(e) => {
        // Escape: answer "no" ourselves so the dialog closes through React, not under it
        e.preventDefault();
        cancelled.current();
      }}
    >
      <h2 id={`${id}-title`}>{title}</h2>
      {children}
    </dialog>
  );
}

/** A yes/no question whose safe answer (`cancelLabel`) has the focus. */
export function ConfirmDialog({ id, title, message, confirmLabel, cancelLabel = "Cancel", danger = false, onAnswer }) {
  const safe = useRef(null);
  return (
    <Dialog id={id} title={title} describedBy={`${id}-question`} initialFocus={safe} onCancel={() => onAnswer(false)}>
      <p id={`${id}-question`}>{message}</p>
      <div className="dialog-buttons">
        <button type="button" className={danger ? "danger" : "primary"} data-answer="yes" onClick={() => onAnswer(true)}>
          {confirmLabel}
        </button>
        <button type="button" ref={safe} data-answer="no" onClick={() => onAnswer(false)}>
          {cancelLabel}
        </button>
      </div>
    </Dialog>
  );
}

let table = null; // the ISO 639-3 list loads once, on the first "Add a language"
function loadLanguages() {
  table = table || import("../lib/iso639-3-data.js").then((m) => parseLanguages(m.default));
  return table;
}

/** "Add a language": search ISO 639-3 by name or code; an unknown code is refused in words. */
export function LanguageDialog({ base, existing, onAdd, onCancel }) {
  const input = useRef(null);
  const [langs, setLangs] = useState(null);
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const [problem, setProblem] = useState("");
  useEffect(() => {
    loadLanguages().then(setLangs);
  }, []);
  const results = useMemo(() => (langs ? searchLanguages(langs, query) : []), [langs, query]);
  const chosen = query.trim() ? results[active] : null;
  useEffect(() => {
    const el = chosen && document.getElementById(`lang-opt-${chosen.code}`);
    if (el) el.scrollIntoView({ block: "nearest" });
  }, [chosen]);
  const add = (code) => {
    if (!langs) return;
    const why = languageProblem(langs, code, { base, existing });
    if (why) setProblem(why);
    else onAdd(code.trim().toLowerCase());
  };
  const submit = (e) => {
    e.preventDefault();
    add(chosen ? chosen.code : query);
  };
  const onKeyDown = (e) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const n = results.length;
      if (n) setActive((a) => (a + (e.key === "ArrowDown" ? 1 : n - 1)) % n);
    }
  };
  return (
    <Dialog id="lang-dialog" title="Add a language" describedBy="lang-help" initialFocus={input} onCancel={onCancel} className="fg-lang-dialog">
      <form onSubmit={submit}>
        <p id="lang-help" className="muted">
          Translations use ISO 639-3 codes (the flow’s own language is {base}). Search by name or code.
        </p>
        <label htmlFor="lang-search">Language</label>
        <input
          id="lang-search"
          ref={input}
          type="search"
          role="combobox"
          autoComplete="off"
          aria-expanded={results.length > 0}
          aria-controls="lang-options"
          aria-activedescendant={chosen ? `lang-opt-${chosen.code}` : undefined}
          aria-invalid={problem ? "true" : undefined}
          aria-describedby={problem ? "lang-problem" : undefined}
          value={query}
          placeholder="e.g. French or fra"
          onKeyDown={onKeyDown}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
            setProblem("");
          }}
        />
        {problem && (
          <p id="lang-problem" className="error" role="alert">
            {problem}
          </p>
        )}
        {!langs && <p className="muted">Loading the languages…</p>}
        <ul id="lang-options" role="listbox" aria-label="Languages" className="fg-lang-options">
          {results.map((l, i) => (
            <li
              key={l.code}
              id={`lang-opt-${l.code}`}
              role="option"
              aria-selected={chosen === l}
              data-code={l.code}
              onMouseDown={(e) => e.preventDefault() /* keep the focus in the search box */}
              onClick={() => {
                setQuery(l.name);
                setActive(0);
                setProblem("");
                add(l.code);
              }}
            >
              <code>{l.code}</code> {l.name}
            </li>
          ))}
          {langs && query.trim() && !results.length && <li className="muted">No language matches “{query.trim()}”.</li>}
        </ul>
        <div className="dialog-buttons">
          <button type="submit" className="primary" data-answer="yes">
            {chosen ? `Add ${chosen.name}` : "Add"}
          </button>
          <button type="button" data-answer="no" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
