import { useEffect, useRef, useState } from "react";

// Below this width (a phone) the toolbar keeps one row: icon buttons whose names stay for
// screen readers, and the less frequent tools behind a "More" menu.
const NARROW = "(max-width: 760px)";

export function useNarrow() {
  const [narrow, setNarrow] = useState(() => window.matchMedia(NARROW).matches);
  useEffect(() => {
    const mq = window.matchMedia(NARROW);
    const on = () => setNarrow(mq.matches);
    mq.addEventListener("change", on);
    return () => mq.removeEventListener("change", on);
  }, []);
  return narrow;
}

const ICONS = {
  add: "M12 5v14M5 12h14",
  undo: "M9 14 4 9l5-5M4 9h10a6 6 0 0 1 0 12h-3",
  redo: "m15 14 5-5-5-5M20 9H10a6 6 0 0 0 0 12h3",
  delete: "M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3",
  more: "M5 12h.01M12 12h.01M19 12h.01",
};

export function Icon({ name }) {
  return (
    <svg className="fg-icon" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
      <path d={ICONS[name]} fill="none" stroke="currentColor" strokeWidth={name === "more" ? 4 : 2} strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

/** A button with an icon and a name; on a phone the name is visually hidden, never removed. */
export function ToolButton({ icon, label, iconOnly = false, ...props }) {
  return (
    <button type="button" className={`fg-tool${iconOnly ? " icon-only" : ""}`} {...props}>
      <Icon name={icon} />
      <span className="fg-tool-label">{label}</span>
    </button>
  );
}

/** The "More" menu of a phone's toolbar: its children are the tools that did not fit. */
export function OverflowMenu({ children }) {
  const [open, setOpen] = useState(false);
  const ref = useRef(null);
  useEffect(() => {
    if (!open) return undefined;
    const away = (e) => {
      if (ref.current && !ref.current.contains(e.target)) setOpen(false);
    };
    const esc = (e) => {
      if (e.key === "Escape") {
        setOpen(false);
        ref.current && ref.current.querySelector(".fg-more-toggle").focus();
      }
    };
    window.addEventListener("mousedown", away);
    window.addEventListener("keydown", esc);
    const first = ref.current && ref.current.querySelector(".fg-more-menu button, .fg-more-menu select");
    if (first) first.focus();
    return () => {
      window.removeEventListener("mousedown", away);
      window.removeEventListener("keydown", esc);
    };
  }, [open]);
  return (
    <div className="fg-more" ref={ref}>
      <button
        type="button"
        className="fg-tool fg-more-toggle"
        aria-haspopup="true"
        aria-expanded={open}
        aria-controls="fg-more-menu"
        onClick={() => setOpen((v) => !v)}
        data-action="more"
      >
        <Icon name="more" />
        <span className="fg-tool-label">More tools</span>
      </button>
      {open && (
        <div
          id="fg-more-menu"
          className="fg-more-menu"
          role="group"
          aria-label="More tools"
          // a chosen button closes the menu; the language select stays open until it changes
          onClick={(e) => e.target.closest("button") && setOpen(false)}
        >
          {children}
        </div>
      )}
    </div>
  );
}
