/**
 * Putting untrusted text into HTML. Model names, layer names, metric names and
 * file paths all come from files or the command line, so every one of them is
 * escaped where it lands: `escapeHtml` for element text and attribute values,
 * `jsonForScript` for data embedded in an inline `<script>`.
 */

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe in element content and in quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

const SCRIPT_ESCAPES: Readonly<Record<string, string>> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/**
 * JSON for an inline `<script>`: `JSON.stringify` leaves `<` alone, so a
 * string holding `</script>` would end the script element; `<`, `>` and `&`
 * become \u escapes (the parsed value is unchanged), as do U+2028/2029 (line
 * terminators in pre-ES2019 JavaScript). `undefined` becomes `null`.
 */
export function jsonForScript(value: unknown): string {
  const json = JSON.stringify(value) ?? 'null';
  return json.replace(/[<>&\u2028\u2029]/g, (c) => SCRIPT_ESCAPES[c]!);
}
