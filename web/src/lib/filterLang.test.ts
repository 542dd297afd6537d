import { describe, expect, it } from "vitest";
import { applySuggestion, complete, fieldRef, quoteKey, tokenAt, tokenize } from "./filterLang";

const keys = {
  config: ["lr", "batch_size", "model.layers", "model.width", "optimizer name"],
  summary: ["train/loss", "train/acc", "val/loss", "best_val_acc", "val loss"],
  properties: ["gpu"],
};

describe("tokenize", () => {
  it("splits a full filter", () => {
    const kinds = tokenize('config.lr < 1e-3 and summary.`train/acc` > 0.9').filter((t) => t.kind !== "ws");
    expect(kinds.map((t) => t.kind)).toEqual([
      "ident", "dot", "ident", "op", "number", "ident", "ident", "dot", "quoted", "op", "number",
    ]);
    expect(kinds[8]?.value).toBe("train/acc");
  });
  it("reads strings, lists, two-char operators and negative numbers", () => {
    const t = tokenize('state in ("running", \'failed\') and x != -2.5e3').filter((x) => x.kind !== "ws");
    expect(t.map((x) => x.text)).toEqual(["state", "in", "(", '"running"', ",", "'failed'", ")", "and", "x", "!=", "-2.5e3"]);
  });
  it("handles escaped backticks and unterminated quotes", () => {
    const [q] = tokenize("`a``b`");
    expect(q?.value).toBe("a`b");
    expect(q?.closed).toBe(true);
    const [u] = tokenize("`val lo");
    expect(u?.closed).toBe(false);
    expect(u?.value).toBe("val lo");
    const [s] = tokenize('"abc');
    expect(s?.kind).toBe("string");
    expect(s?.closed).toBe(false);
  });
  it("keeps keys with / and -", () => {
    const [t] = tokenize("train/loss-avg");
    expect(t?.text).toBe("train/loss-avg");
  });
  it("covers every character exactly once", () => {
    const text = 'a.b = "x" or (c~1) , ? ]';
    const toks = tokenize(text);
    expect(toks.map((t) => t.text).join("")).toBe(text);
  });
});

describe("tokenAt", () => {
  const toks = tokenize("config.lr < 3");
  it("finds the token ending at the cursor", () => {
    expect(tokenAt(toks, 9)?.text).toBe("lr");
    expect(tokenAt(toks, 8)?.text).toBe("lr");
    expect(tokenAt(toks, 7)?.text).toBe(".");
  });
  it("returns nothing in whitespace", () => {
    expect(tokenAt(tokenize("a  b"), 2)).toBeUndefined();
  });
});

describe("quoteKey / fieldRef", () => {
  it("quotes only when needed", () => {
    expect(quoteKey("train/loss")).toBe("train/loss");
    expect(quoteKey("val loss")).toBe("`val loss`");
    expect(quoteKey("a`b")).toBe("`a``b`");
    expect(quoteKey("1st")).toBe("`1st`");
  });
  it("splits config paths on dots", () => {
    expect(fieldRef("config", "model.layers")).toBe("config.model.layers");
    expect(fieldRef("config", "optimizer name")).toBe("config.`optimizer name`");
    expect(fieldRef("summary", "val/loss")).toBe("summary.val/loss");
    expect(fieldRef("summary", "a.b")).toBe("summary.`a.b`");
  });
});

describe("complete", () => {
  it("suggests fields at the start", () => {
    const c = complete("", 0, keys);
    expect(c.expecting).toBe("field");
    expect(c.suggestions.map((s) => s.label)).toContain("config.");
    expect(c.suggestions.map((s) => s.label)).toContain("state");
  });
  it("completes a root prefix", () => {
    const c = complete("conf", 4, keys);
    expect(c.suggestions[0]?.label).toBe("config.");
    expect([c.from, c.to]).toEqual([0, 4]);
  });
  it("suggests config keys after config.", () => {
    const c = complete("config.", 7, keys);
    expect(c.suggestions.map((s) => s.label)).toEqual(keys.config.map((k) => `config.${k}`));
    expect(c.from).toBe(0);
  });
  it("filters keys by the partial, prefix matches first", () => {
    const c = complete("config.l", 8, keys);
    expect(c.suggestions[0]?.label).toBe("config.lr");
    expect(c.suggestions.map((s) => s.label)).toContain("config.model.layers");
    const m = complete("config.model.w", 14, keys);
    expect(m.suggestions.map((s) => s.label)).toEqual(["config.model.width"]);
  });
  it("quotes keys that need it", () => {
    const c = complete("summary.val", 11, keys);
    const vl = c.suggestions.find((s) => s.label === "summary.val loss");
    expect(vl?.insert).toBe("summary.`val loss`");
  });
  it("suggests summary keys by substring from a bare word", () => {
    const c = complete("loss", 4, keys);
    expect(c.suggestions.map((s) => s.label)).toContain("summary.train/loss");
  });
  it("suggests operators after a field", () => {
    const c = complete("config.lr ", 10, keys);
    expect(c.expecting).toBe("operator");
    expect(c.suggestions.map((s) => s.label)).toContain("<=");
    const partial = complete("config.lr <", 11, keys);
    expect(partial.suggestions.map((s) => s.label)).toEqual(["<", "<="]);
  });
  it("suggests state values", () => {
    const c = complete("state = ", 8, keys);
    expect(c.expecting).toBe("value");
    expect(c.suggestions.map((s) => s.label)).toContain('"running"');
    const inList = complete('state in ("failed", ', 20, keys);
    expect(inList.suggestions.length).toBe(5);
    const typed = complete("state = ru", 10, keys);
    expect(typed.suggestions.map((s) => s.label)).toEqual(['"running"']);
  });
  it("suggests and/or after a comparison", () => {
    const c = complete("config.lr < 0.1 ", 16, keys);
    expect(c.expecting).toBe("connective");
    expect(c.suggestions.map((s) => s.label)).toEqual(["and", "or"]);
    const a = complete("config.lr < 0.1 an", 18, keys);
    expect(a.suggestions.map((s) => s.label)).toEqual(["and"]);
  });
  it("expects a field after and / not / (", () => {
    expect(complete("x = 1 and ", 10, keys).expecting).toBe("field");
    expect(complete("not ", 4, keys).expecting).toBe("field");
    expect(complete("(", 1, keys).expecting).toBe("field");
    expect(complete("x = 1 and summary.tr", 20, keys).suggestions[0]?.label).toBe("summary.train/loss");
  });
  it("expects is null / in after is / not", () => {
    expect(complete("x is ", 5, keys).suggestions.map((s) => s.label)).toEqual(["null", "not null"]);
    expect(complete("x not ", 6, keys).suggestions.map((s) => s.label)).toEqual(["in"]);
  });
  it("completes in the middle of the text", () => {
    const text = "config.l < 1 and state = 'x'";
    const c = complete(text, 8, keys);
    expect(c.suggestions[0]?.label).toBe("config.lr");
    const r = applySuggestion(text, c, c.suggestions[0]!);
    expect(r.text).toBe("config.lr < 1 and state = 'x'");
    expect(r.cursor).toBe(9);
  });
});

describe("applySuggestion", () => {
  it("replaces the partial and adds a space", () => {
    const c = complete("config.l", 8, keys);
    const r = applySuggestion("config.l", c, c.suggestions[0]!);
    expect(r.text).toBe("config.lr ");
    expect(r.cursor).toBe(10);
  });
  it("leaves the cursor after a root's dot", () => {
    const c = complete("sum", 3, keys);
    const s = c.suggestions.find((x) => x.label === "summary.")!;
    expect(applySuggestion("sum", c, s)).toEqual({ text: "summary.", cursor: 8 });
  });
  it("inserts operators with spacing", () => {
    const c = complete("config.lr ", 10, keys);
    const op = c.suggestions.find((s) => s.label === "<")!;
    expect(applySuggestion("config.lr ", c, op).text).toBe("config.lr < ");
  });
});
