import { useState } from "react";

/** The flow's issues (found here and reported by the last save), each with a way to its card. */
export default function IssuesPanel({ issues, onGoTo }) {
  const [open, setOpen] = useState(false);
  if (!issues.length) return null;
  return (
    <section className={`fg-issues${open ? " open" : ""}`} aria-label="Issues">
      <button type="button" className="fg-issues-toggle" aria-expanded={open} onClick={() => setOpen((v) => !v)} data-action="issues">
        ⚠ {issues.length} issue{issues.length === 1 ? "" : "s"}
      </button>
      {open && (
        <ul>
          {issues.map((it, i) => (
            <li key={i} data-kind={it.kind}>
              <span>{it.message}</span>
              {it.node_uuid && (
                <button type="button" className="fg-link" onClick={() => onGoTo(it.node_uuid)}>
                  Go to card
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
