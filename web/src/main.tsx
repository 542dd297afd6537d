import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "uplot/dist/uPlot.min.css";
import "./styles/app.css";
import { App } from "./App";

declare global {
  interface Window {
    __trailmark: { chartsDrawnAt: number };
  }
}
window.__trailmark = { chartsDrawnAt: 0 };

createRoot(document.getElementById("root") as HTMLElement).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
