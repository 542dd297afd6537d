import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// The API server for `npm run dev` (start it with `trailmark ui --port 5199`).
const apiTarget = process.env.TRAILMARK_API ?? "http://127.0.0.1:5199";

export default defineConfig({
  base: "/",
  plugins: [react()],
  build: {
    outDir: "../src/trailmark/web_dist",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 800,
  },
  server: {
    port: 5173,
    proxy: {
      "/api": apiTarget,
      "/health": apiTarget,
    },
  },
  test: {
    include: ["src/**/*.test.ts", "src/**/*.test.tsx"],
    // Component tests (*.test.tsx) ask for jsdom in their first line; the rest need no DOM.
    environment: "node",
  },
});
