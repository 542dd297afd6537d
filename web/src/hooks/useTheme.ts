import { createContext, useCallback, useContext, useEffect, useState } from "react";
import type { Theme } from "../lib/urlState";
import { navigate, useSearch } from "../router";

const STORAGE_KEY = "trailmark.theme";

function storedTheme(): Theme | null {
  try {
    const v = window.localStorage.getItem(STORAGE_KEY);
    return v === "light" || v === "dark" ? v : null;
  } catch {
    return null;
  }
}

function systemTheme(): Theme {
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

/** The theme: ?theme= in the URL wins, then the remembered choice, then the system's. */
export function useTheme(): [Theme, () => void] {
  const search = useSearch();
  const fromUrl = new URLSearchParams(search).get("theme");
  const [chosen, setChosen] = useState<Theme>(() => storedTheme() ?? systemTheme());
  const theme: Theme = fromUrl === "light" || fromUrl === "dark" ? fromUrl : chosen;

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    document.documentElement.style.colorScheme = theme;
  }, [theme]);

  const toggle = useCallback(() => {
    const next: Theme = theme === "dark" ? "light" : "dark";
    try {
      window.localStorage.setItem(STORAGE_KEY, next);
    } catch {
      /* private mode: the URL still carries it */
    }
    setChosen(next);
    const p = new URLSearchParams(window.location.search);
    p.set("theme", next);
    navigate(`${window.location.pathname}?${p.toString()}`, { replace: true });
  }, [theme]);

  return [theme, toggle];
}

export const ThemeContext = createContext<Theme>("light");

/** The current theme, for components that draw with theme colours (charts). */
export function useCurrentTheme(): Theme {
  return useContext(ThemeContext);
}
