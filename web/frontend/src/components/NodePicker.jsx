import { useEffect, useRef } from "react";
import { NODE_KINDS } from "../lib/flow.js";

/**
 * The action/router picker that opens where a connection from an exit was dropped on empty
 * canvas: choosing a kind creates the card there, already connected (one undo step).
 */
export default function NodePicker({ at, onPick, onCancel }) {
  const ref = useRef(null);
  useEffect(() => {
    const first = ref.current && ref.current.querySelector("button");
    if (first) first.focus();
    const away = (e) => {
      if (ref.current && !ref.current.contains(e.target)) onCancel();
    };
    // after this event loop turn: the mouseup that opened the picker must not close it
    const t = setTimeout(() => window.addEventListener("mousedown", away), 0);
    return () => {
      clearTimeout(t);
      window.removeEventListener("mousedown", away);
    };
  }, [onCancel]);
  const left = Math.max(8, Math.min(at.x, window.innerWidth - 230));
  const top = Math.max(8, Math.min(at.y, window.innerHeight - 330));
  return (
    <div
      ref={ref}
      className="fg-picker"
      role="menu"
      aria-label="What happens next"
      style={{ left, top }}
      onKeyDown={(e) => {
        if (e.key === "Escape") onCancel();
      }}
    >
      <div className="fg-picker-title">Add a card here</div>
      {NODE_KINDS.map((k) => (
        <button key={k.kind} type="button" role="menuitem" data-kind={k.kind} onClick={() => onPick(k.kind)}>
          {k.label}
        </button>
      ))}
    </div>
  );
}
