// ESLint for the dashboard: JavaScript's and TypeScript's recommended rules, and the Rules of
// React (hooks called unconditionally, effect dependencies complete, components pure).
// `npm run lint` runs it with --max-warnings 0; `make check` runs that.
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import { defineConfig, globalIgnores } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig([
  globalIgnores(["node_modules/", "dist/"]),
  {
    files: ["**/*.{ts,tsx}"],
    extends: [js.configs.recommended, tseslint.configs.recommended, reactHooks.configs.flat.recommended],
    languageOptions: {
      ecmaVersion: 2022,
      globals: globals.browser,
    },
    rules: {
      // A missing effect dependency is a stale-value bug: an error, not a warning.
      "react-hooks/exhaustive-deps": "error",
      // The three below check what the React Compiler needs, and the dashboard is not compiled
      // by it. Each flags a pattern that is correct without it:
      // - refs: a ref given the latest callback or value during render, read only in effects
      //   and event handlers (useInterval, LineChart's uPlot hooks);
      "react-hooks/refs": "off",
      // - set-state-in-effect: state reset when a prop changes, or a loading flag set as a
      //   fetch starts (one extra render, no stale value shown);
      "react-hooks/set-state-in-effect": "off",
      // - incompatible-library: says only that the compiler would skip a component using
      //   TanStack Table or Virtual.
      "react-hooks/incompatible-library": "off",
      // An unused parameter named `_x` keeps a callback's signature readable.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" },
      ],
    },
  },
  {
    files: ["*.config.{js,ts}"],
    languageOptions: { globals: globals.node },
  },
]);
