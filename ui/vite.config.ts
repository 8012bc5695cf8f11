import { defineConfig } from "vite";

// Bundled into the Tauri app: relative asset paths, no dev server needed
// at run time, no network.
export default defineConfig({
  base: "./",
  clearScreen: false,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "safari15",
    sourcemap: false,
  },
});
