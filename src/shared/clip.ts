/**
 * Text cut to at most `max` characters (with `…` when cut) at a word boundary: a token the cut would split
 * is dropped whole. Untrusted text is cut before it is redacted, and half a secret no longer matches the
 * pattern that would hide it; dropping the partial token keeps the cut from making a secret unrecognisable.
 */
export function clipAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  const kept = text.slice(0, Math.max(0, max - 1));
  const splitsToken = /\S$/.test(kept) && /^\S/.test(text.slice(kept.length));
  const whole = splitsToken ? kept.replace(/\S+$/, '') : kept;
  return `${whole.trimEnd()}…`;
}
