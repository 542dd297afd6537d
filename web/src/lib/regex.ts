/** Compile a user's search text as a case-insensitive regex, reporting an invalid one. */
export function compileSearch(text: string): { re: RegExp | null; error: string | null } {
  if (!text.trim()) return { re: null, error: null };
  try {
    return { re: new RegExp(text, "i"), error: null };
  } catch (e) {
    const msg = e instanceof Error ? e.message.replace(/^Invalid regular expression: /, "") : String(e);
    return { re: null, error: `Not a valid regular expression: ${msg}` };
  }
}
