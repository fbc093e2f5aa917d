import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "@xyflow/react/dist/style.css";
import "./editor.css";
import App from "./App.jsx";

const root = document.getElementById("flow-editor");
// The editor fills exactly what the header leaves of the window, whatever the header's height
// (it wraps on narrower screens), so the zoom controls and minimap are never cut off.
function fit() {
  const top = root.getBoundingClientRect().top + window.scrollY;
  root.style.setProperty("--fg-top", `${Math.round(top)}px`);
}

if (root) {
  fit();
  window.addEventListener("resize", fit);
  createRoot(root).render(
    <StrictMode>
      <App flowUuid={root.dataset.flowUuid} />
    </StrictMode>,
  );
}
