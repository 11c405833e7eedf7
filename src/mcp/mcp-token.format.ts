import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256Hex } from '../shared/hash.ts';
import { newId } from '../shared/ids.ts';

/** `wmcp_<id>_<secret>`: the id finds the row, the secret proves the holder (only its hash is stored). */
const TOKEN = /^wmcp_(mcp_[0-9a-z]{12})_([A-Za-z0-9_-]{43})$/;

export type NewToken = { id: string; token: string; tokenHash: string };

/** A new token: its id, the text shown once to the person who asked, and the hash to store. */
export function mintMcpToken(): NewToken {
  const id = newId('mcp');
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `wmcp_${id}_${secret}`, tokenHash: sha256Hex(secret) };
}

/** The id and secret of a token, or null when the text is not shaped like one. */
export function parseMcpToken(text: string): { id: string; secret: string } | null {
  const match = TOKEN.exec(text);
  return match?.[1] && match[2] ? { id: match[1], secret: match[2] } : null;
}

/** Whether the secret hashes to the stored hash, compared in constant time. */
export function secretMatches({ secret, tokenHash }: { secret: string; tokenHash: string }): boolean {
  const given = Buffer.from(sha256Hex(secret), 'hex');
  const stored = Buffer.from(tokenHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
