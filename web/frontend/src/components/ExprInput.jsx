import { useId, useRef, useState } from "react";
import { accept, suggest } from "../lib/complete.js";

/** A text field that offers @contact/@input/@results/@fields completions as you type. */
export default function ExprInput({ value, onChange, names, label, multiline = false, id: givenId, ...rest }) {
  const autoId = useId();
  const id = givenId || autoId;
  const listId = `${id}-list`;
  const ref = useRef(null);
  const [state, setState] = useState({ items: [], frag: null, active: 0 });

  const refresh = (text, caret) => {
    const { frag, items } = suggest(text, caret, names);
    setState({ frag, items, active: 0 });
  };
  const choose = (choice) => {
    const el = ref.current;
    const caret = el ? el.selectionStart : value.length;
    const next = accept(value, caret, state.frag, choice);
    onChange(next.text);
    setState({ items: [], frag: null, active: 0 });
    requestAnimationFrame(() => {
      if (el) {
        el.focus();
        el.setSelectionRange(next.caret, next.caret);
      }
    });
  };
  const onKeyDown = (e) => {
    if (!state.items.length) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const d = e.key === "ArrowDown" ? 1 : -1;
      setState((s) => ({ ...s, active: (s.active + d + s.items.length) % s.items.length }));
    } else if (e.key === "Enter" || e.key === "Tab") {
      e.preventDefault();
      choose(state.items[state.active]);
    } else if (e.key === "Escape") {
      e.stopPropagation();
      setState({ items: [], frag: null, active: 0 });
    }
  };
  const Tag = multiline ? "textarea" : "input";
  const open = state.items.length > 0;
  return (
    <div className="fg-expr">
      <label htmlFor={id}>{label}</label>
      <Tag
        id={id}
        ref={ref}
        value={value}
        rows={multiline ? 3 : undefined}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={open}
        aria-controls={listId}
        aria-activedescendant={open ? `${listId}-${state.active}` : undefined}
        onChange={(e) => {
          onChange(e.target.value);
          refresh(e.target.value, e.target.selectionStart);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => setTimeout(() => setState({ items: [], frag: null, active: 0 }), 150)}
        {...rest}
      />
      {open && (
        <ul id={listId} role="listbox" className="fg-suggest">
          {state.items.map((item, i) => (
            <li
              key={item}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === state.active}
              onMouseDown={(e) => {
                e.preventDefault();
                choose(item);
              }}
            >
              @{item}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
