import { describe, expect, it } from 'vitest';
import { mintMcpToken, parseMcpToken, secretMatches } from '../../../src/mcp/mcp-token.format.ts';
import { sha256Hex } from '../../../src/shared/hash.ts';

describe('MCP client token format', () => {
  it('mints wmcp_<id>_<secret>, stores only the sha256 of the secret, and parses back', () => {
    const minted = mintMcpToken();
    expect(minted.token).toMatch(/^wmcp_mcp_[0-9a-z]{12}_[A-Za-z0-9_-]{43}$/);
    const parsed = parseMcpToken(minted.token)!;
    expect(parsed.id).toBe(minted.id);
    expect(minted.tokenHash).toBe(sha256Hex(parsed.secret));
    expect(minted.tokenHash).not.toContain(parsed.secret);
    expect(secretMatches({ secret: parsed.secret, tokenHash: minted.tokenHash })).toBe(true);
  });

  it('rejects other secrets and text not shaped like a token', () => {
    const a = mintMcpToken();
    const b = parseMcpToken(mintMcpToken().token)!;
    expect(secretMatches({ secret: b.secret, tokenHash: a.tokenHash })).toBe(false);
    expect(secretMatches({ secret: b.secret, tokenHash: 'short' })).toBe(false);
    for (const text of ['', 'wmcp_', `${a.token}x`, a.token.replace('wmcp_', 'xmcp_'), 'Bearer abc'])
      expect(parseMcpToken(text)).toBeNull();
  });
});
