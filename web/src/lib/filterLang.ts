/**
 * A tokenizer for the API's filter language (docs/filters.md), used only for autocomplete:
 * it finds the token at the cursor, works out what may come next (a field, an operator, a
 * value or and/or) and suggests completions. The server stays the judge of validity.
 */

export type TokenKind =
  | "ws" | "ident" | "quoted" | "string" | "number" | "op" | "dot" | "lparen" | "rparen" | "comma" | "unknown";

export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
  /** For ident and quoted tokens: the key they name (backticks removed). */
  value?: string;
  /** False for an unterminated string or backtick key. */
  closed?: boolean;
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_/-]/;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, start: number, extra: Partial<Token> = {}) =>
    tokens.push({ kind, text: text.slice(start, i), start, end: i, ...extra });
  while (i < text.length) {
    const start = i;
    const c = text[i] as string;
    if (/\s/.test(c)) {
      while (i < text.length && /\s/.test(text[i] as string)) i++;
      push("ws", start);
    } else if (IDENT_START.test(c)) {
      while (i < text.length && IDENT_PART.test(text[i] as string)) i++;
      push("ident", start, { value: text.slice(start, i) });
    } else if (c === "`") {
      i++;
      let value = "";
      let closed = false;
      while (i < text.length) {
        if (text[i] === "`") {
          if (text[i + 1] === "`") {
            value += "`";
            i += 2;
            continue;
          }
          i++;
          closed = true;
          break;
        }
        value += text[i];
        i++;
      }
      push("quoted", start, { value, closed });
    } else if (c === '"' || c === "'") {
      i++;
      let closed = false;
      while (i < text.length) {
        if (text[i] === "\\") {
          i += 2;
          continue;
        }
        if (text[i] === c) {
          i++;
          closed = true;
          break;
        }
        i++;
      }
      i = Math.min(i, text.length);
      push("string", start, { closed });
    } else if (/[0-9]/.test(c) || ((c === "-" || c === ".") && /[0-9.]/.test(text[i + 1] ?? ""))) {
      const m = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(text.slice(i));
      i += m ? m[0].length : 1;
      push("number", start);
    } else if ("=!<>~".includes(c)) {
      const two = text.slice(i, i + 2);
      i += ["==", "!=", "<=", ">="].includes(two) ? 2 : 1;
      push("op", start);
    } else if (c === ".") {
      i++;
      push("dot", start);
    } else if (c === "(") {
      i++;
      push("lparen", start);
    } else if (c === ")") {
      i++;
      push("rparen", start);
    } else if (c === ",") {
      i++;
      push("comma", start);
    } else {
      i++;
      push("unknown", start);
    }
  }
  return tokens;
}

/** The token the cursor touches (the one ending at the cursor wins over whitespace). */
export function tokenAt(tokens: readonly Token[], cursor: number): Token | undefined {
  let found: Token | undefined;
  for (const t of tokens) {
    if (t.start < cursor && cursor <= t.end) found = t;
    if (t.start === cursor && !found && t.kind !== "ws") found = t;
  }
  if (found?.kind === "ws") return undefined;
  return found;
}

/** A key as written in the filter language: bare if it only has key characters, else in backticks. */
export function quoteKey(key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_/-]*$/.test(key)) return key;
  return "`" + key.replace(/`/g, "``") + "`";
}

/** A field reference, e.g. ("config", "model.layers") → config.model.layers; ("summary", "val loss") → summary.`val loss`. */
export function fieldRef(root: "config" | "summary" | "properties", key: string): string {
  const parts = root === "config" ? key.split(".") : [key];
  return `${root}.${parts.map(quoteKey).join(".")}`;
}

export const TOP_FIELDS = [
  "id", "name", "state", "notes", "group", "job_type", "host", "created", "updated", "ended", "tags", "last_step",
] as const;
export const ROOTS = ["config", "summary", "properties"] as const;
export const OPERATORS = ["=", "!=", "<", "<=", ">", ">=", "~", "in", "not in", "is null", "is not null", "contains"];
export const STATES = ["running", "finished", "failed", "crashed", "killed"];

export interface KeyCatalog {
  config: readonly string[];
  summary: readonly string[];
  properties: readonly string[];
}

export type SuggestionKind = "field" | "key" | "operator" | "keyword" | "value";

export interface Suggestion {
  label: string;
  insert: string;
  kind: SuggestionKind;
}

export interface Completion {
  /** Replace text[from, to) with a suggestion's insert text. */
  from: number;
  to: number;
  expecting: "field" | "operator" | "value" | "connective";
  suggestions: Suggestion[];
}

interface PathAtCursor {
  root: string;
  partial: string;
  from: number;
}

/** If the cursor ends a field path like `config.model.la`, the root and the partial key. */
function pathAtCursor(tokens: readonly Token[], idx: number): PathAtCursor | null {
  // Walk back over ident/quoted/dot tokens with no whitespace between them.
  let j = idx;
  while (j > 0) {
    const prev = tokens[j - 1] as Token;
    if (prev.kind === "ident" || prev.kind === "quoted" || prev.kind === "dot") j--;
    else break;
  }
  const parts = tokens.slice(j, idx + 1);
  const first = parts[0];
  if (!first || first.kind !== "ident") return null;
  const segments: string[] = [];
  let current = "";
  for (const t of parts.slice(1)) {
    if (t.kind === "dot") {
      segments.push(current);
      current = "";
    } else current += t.value ?? "";
  }
  if (parts.length === 1) return { root: "", partial: first.value ?? "", from: first.start };
  segments.push(current);
  // segments[0] is "" (the dot right after the root)
  const keyPath = segments.slice(1).join(".");
  return { root: (first.value ?? "").toLowerCase(), partial: keyPath, from: first.start };
}

function significantBefore(tokens: readonly Token[], idx: number): Token[] {
  return tokens.slice(0, idx).filter((t) => t.kind !== "ws");
}

/** What the grammar expects after the given significant tokens. */
function expectation(prev: readonly Token[]): Completion["expecting"] {
  const last = prev[prev.length - 1];
  if (!last) return "field";
  const lower = last.text.toLowerCase();
  if (last.kind === "lparen" || last.kind === "comma") {
    // "in (" / "," inside a value list expect values
    const open = [...prev].reverse().find((t) => t.kind === "lparen");
    const beforeOpen = open ? prev[prev.indexOf(open) - 1] : undefined;
    if (beforeOpen && beforeOpen.text.toLowerCase() === "in") return "value";
    return last.kind === "comma" ? "value" : "field";
  }
  if (last.kind === "ident" && ["and", "or", "not"].includes(lower)) {
    const before = prev[prev.length - 2];
    if (lower === "not" && before && !["and", "or", "not", "("].includes(before.text.toLowerCase()) && before.kind !== "lparen") {
      return "operator"; // "x not" → "not in"
    }
    return "field";
  }
  if (last.kind === "op" || (last.kind === "ident" && ["in", "contains"].includes(lower))) return "value";
  if (last.kind === "ident" && lower === "is") return "operator";
  if (last.kind === "string" || last.kind === "number" || last.kind === "rparen") return "connective";
  if (last.kind === "ident" && ["null", "true", "false"].includes(lower)) return "connective";
  if (last.kind === "ident" || last.kind === "quoted") return "operator";
  return "field";
}

function rank(candidates: readonly string[], partial: string, limit: number): string[] {
  const p = partial.toLowerCase();
  const starts: string[] = [];
  const contains: string[] = [];
  for (const c of candidates) {
    const l = c.toLowerCase();
    if (l.startsWith(p)) starts.push(c);
    else if (p && l.includes(p)) contains.push(c);
  }
  return [...starts, ...contains].slice(0, limit);
}

/** Completions for the filter text with the cursor at `cursor`. */
export function complete(text: string, cursor: number, keys: KeyCatalog, limit = 12): Completion {
  const tokens = tokenize(text);
  const tok = tokenAt(tokens, cursor);
  const idx = tok ? tokens.indexOf(tok) : -1;
  const editable = tok && (tok.kind === "ident" || tok.kind === "quoted" || tok.kind === "dot" || tok.kind === "op");
  const from = editable ? tok.start : cursor;
  const to = editable ? tok.end : cursor;

  // Inside a field path: config.xx / summary.xx / properties.xx
  if (tok && (tok.kind === "ident" || tok.kind === "quoted" || tok.kind === "dot")) {
    const path = pathAtCursor(tokens, idx);
    if (path && (ROOTS as readonly string[]).includes(path.root)) {
      const prev = significantBefore(tokens, tokens.findIndex((t) => t.start === path.from));
      if (expectation(prev) === "field") {
        const root = path.root as (typeof ROOTS)[number];
        const suggestions = rank(keys[root], path.partial, limit).map((k) => ({
          label: `${root}.${k}`,
          insert: fieldRef(root, k),
          kind: "key" as const,
        }));
        return { from: path.from, to, expecting: "field", suggestions };
      }
    }
  }
  const prevSig = significantBefore(tokens, editable ? idx : tokens.filter((t) => t.end <= cursor).length);
  const exp = expectation(prevSig);
  const partial = editable ? (tok?.text ?? "") : "";
  return { from, to, expecting: exp, suggestions: suggestFor(exp, partial, keys, limit, prevSig) };
}

const BEFORE_VALUE = new Set(["in", "not", "contains", "is"]);

function fieldOf(prev: readonly Token[]): string {
  // The field a value belongs to: the path just before the operator (and any open value list).
  let i = prev.length - 1;
  while (i >= 0) {
    const t = prev[i] as Token;
    const skip =
      t.kind === "op" || t.kind === "lparen" || t.kind === "comma" || t.kind === "string" || t.kind === "number" ||
      (t.kind === "ident" && BEFORE_VALUE.has(t.text.toLowerCase()));
    if (!skip) break;
    i--;
  }
  const parts: string[] = [];
  for (; i >= 0; i--) {
    const t = prev[i] as Token;
    if (t.kind === "ident" || t.kind === "quoted" || t.kind === "dot") parts.unshift(t.text);
    else break;
  }
  return parts.join("").toLowerCase();
}

function suggestFor(
  exp: Completion["expecting"],
  partial: string,
  keys: KeyCatalog,
  limit: number,
  prev: readonly Token[],
): Suggestion[] {
  if (exp === "field") {
    const all = [
      ...ROOTS.map((r) => ({ label: `${r}.`, insert: `${r}.`, kind: "field" as const })),
      ...TOP_FIELDS.map((f) => ({ label: f, insert: f, kind: "field" as const })),
      ...keys.config.map((k) => ({ label: `config.${k}`, insert: fieldRef("config", k), kind: "key" as const })),
      ...keys.summary.map((k) => ({ label: `summary.${k}`, insert: fieldRef("summary", k), kind: "key" as const })),
      ...keys.properties.map((k) => ({ label: `properties.${k}`, insert: fieldRef("properties", k), kind: "key" as const })),
      { label: "not", insert: "not ", kind: "keyword" as const },
    ];
    const p = partial.toLowerCase();
    if (!p) return all.filter((s) => s.kind !== "key").slice(0, Math.max(limit, 16));
    const starts = all.filter((s) => s.label.toLowerCase().startsWith(p));
    const keyMatches = all.filter(
      (s) => !s.label.toLowerCase().startsWith(p) && s.kind === "key" && s.label.toLowerCase().split(".").slice(1).join(".").includes(p),
    );
    return [...starts, ...keyMatches].slice(0, limit);
  }
  if (exp === "operator") {
    const last = prev[prev.length - 1];
    const afterIs = last?.text.toLowerCase() === "is";
    const afterNot = last?.text.toLowerCase() === "not";
    const ops = afterIs ? ["null", "not null"] : afterNot ? ["in"] : OPERATORS;
    const p = partial.toLowerCase();
    return ops
      .filter((o) => !p || o.startsWith(p))
      .slice(0, limit)
      .map((o) => ({ label: o, insert: `${o} `, kind: "operator" as const }));
  }
  if (exp === "value") {
    const field = fieldOf(prev);
    if (field === "state") {
      const p = partial.replace(/^["']/, "").toLowerCase();
      return STATES.filter((s) => s.startsWith(p)).map((s) => ({ label: `"${s}"`, insert: `"${s}"`, kind: "value" as const }));
    }
    return [];
  }
  const p = partial.toLowerCase();
  return ["and", "or"]
    .filter((k) => !p || k.startsWith(p))
    .map((k) => ({ label: k, insert: `${k} `, kind: "keyword" as const }));
}

/** Apply a suggestion: the new text and where the cursor goes. */
export function applySuggestion(text: string, completion: Completion, s: Suggestion): { text: string; cursor: number } {
  const before = text.slice(0, completion.from);
  const after = text.slice(completion.to);
  let insert = s.insert;
  if ((s.kind === "key" || s.kind === "field") && !insert.endsWith(".") && !after.startsWith(" ")) insert += " ";
  if (s.kind === "value" && !after.startsWith(" ")) insert += " ";
  const needsSpace = before.length > 0 && !/[\s(]$/.test(before) && s.kind !== "key" && s.kind !== "field";
  const pre = needsSpace ? before + " " : before;
  return { text: pre + insert + after, cursor: pre.length + insert.length };
}
