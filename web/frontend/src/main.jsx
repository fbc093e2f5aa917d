import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "@xyflow/react/dist/style.css";
import "./editor.css";
import App from "./App.jsx";

const root = document.getElementById("flow-editor");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App flowUuid={root.dataset.flowUuid} />
    </StrictMode>,
  );
}
