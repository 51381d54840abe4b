/**
 * Making customer-supplied text safe where it is shown: HTML escaping, one clean line for subjects and names,
 * grapheme-aware truncation, and URL checks. Pure; shared by the email renderer and the unsubscribe pages.
 */

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes `& < > " '` so the value is safe in HTML text and in double- or single-quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * Control characters (incl. CR/LF), Unicode line/paragraph separators and bidi embedding/override/isolate
 * controls: none belongs in a name, and in a subject they enable header injection or visual spoofing.
 */
const CONTROL_CHARS = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
/** With the `u` flag this matches only unpaired surrogates, which cannot be encoded as UTF-8. */
const LONE_SURROGATE = /[\ud800-\udfff]/gu;

/** One clean line of text: no control characters, no broken surrogates, single spaces, trimmed. */
export function cleanInline(value: string): string {
  return value.replace(LONE_SURROGATE, '\ufffd').replace(CONTROL_CHARS, ' ').replace(/\s+/gu, ' ').trim();
}

export function truncateGraphemes(value: string, max: number): string {
  const graphemes = [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(value)];
  if (graphemes.length <= max) return value;
  return `${graphemes
    .slice(0, max - 1)
    .map((g) => g.segment)
    .join('')
    .trimEnd()}…`;
}

/** The URL, normalised, if it parses and uses one of `protocols`; throws naming `what` otherwise. */
export function safeUrl(url: string, protocols: readonly string[], what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${what} is not a valid URL`);
  }
  if (!protocols.includes(parsed.protocol)) throw new Error(`${what} must use ${protocols.join(' or ')}`);
  return parsed.href;
}
