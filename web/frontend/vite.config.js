import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Stable file names (no hashes) so the Django templates need no manifest; `make assets` rebuilds them.
export default defineConfig({
  plugins: [react()],
  base: "/static/flowgate/editor/",
  build: {
    outDir: "../static/flowgate/editor",
    emptyOutDir: true,
    cssCodeSplit: false,
    sourcemap: false,
    rollupOptions: {
      input: { editor: "src/main.jsx", "flows-list": "src/list.js" },
      output: {
        entryFileNames: "[name].js",
        chunkFileNames: "[name].js",
        assetFileNames: "editor[extname]",
      },
    },
  },
});
