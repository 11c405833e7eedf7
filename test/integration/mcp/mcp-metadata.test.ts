import { request } from 'node:http';
import {
  discoverOAuthProtectedResourceMetadata,
  extractWWWAuthenticateParams,
} from '@modelcontextprotocol/sdk/client/auth.js';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/config.ts';
import { useTestServices } from '../../helpers/services.ts';
import { issueToken, type McpHttpHarness, startMcpHttp } from './mcp.harness.ts';

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
});

/** A GET with a Host header of our choosing (fetch would not let a test send a hostile one). */
function getWithHost(url: URL, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the OAuth protected-resource metadata of /mcp (RFC 9728)', () => {
  describe('without a public URL configured', () => {
    const { services } = useTestServices({ kind: 'pglite' });
    let http: McpHttpHarness | undefined;
    afterEach(async () => {
      await http?.stop();
      http = undefined;
    });

    it('serves the metadata the SDK discovers, naming /mcp as the resource and header bearer tokens', async () => {
      http = await startMcpHttp({ services });
      const found = await discoverOAuthProtectedResourceMetadata(http.url);
      expect(found).toEqual({
        resource: http.url.href,
        bearer_methods_supported: ['header'],
        resource_name: 'Warden',
      });
      // The root form answers too, for clients that look there first.
      const root = await fetch(new URL('/.well-known/oauth-protected-resource', http.url));
      expect(await root.json()).toEqual(found);
    });

    it('points a refused client at the metadata, with invalid_token only when a token was sent', async () => {
      http = await startMcpHttp({ services });
      const { token } = await issueToken({ services });
      const post = (authorization?: string) =>
        fetch(http!.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            ...(authorization ? { authorization } : {}),
          },
          body: initialize,
        });
      const metadataUrl = new URL('/.well-known/oauth-protected-resource/mcp', http.url);
      const missing = await post();
      expect(missing.status).toBe(401);
      expect(extractWWWAuthenticateParams(missing)).toEqual({ resourceMetadataUrl: metadataUrl });
      const wrong = await post(`Bearer ${token.slice(0, -4)}AAAA`);
      expect(wrong.status).toBe(401);
      expect(extractWWWAuthenticateParams(wrong)).toEqual({
        resourceMetadataUrl: metadataUrl,
        error: 'invalid_token',
      });
    });

    it('does not echo a Host header that is not a host into the metadata', async () => {
      http = await startMcpHttp({ services });
      const metadataUrl = new URL('/.well-known/oauth-protected-resource/mcp', http.url);
      const hostile = await getWithHost(metadataUrl, 'evil.example", error="x');
      expect(hostile.status).toBe(200);
      expect(JSON.parse(hostile.body).resource).toBe('http://localhost/mcp');
      const named = await getWithHost(metadataUrl, 'warden.internal:8080');
      expect(JSON.parse(named.body).resource).toBe('http://warden.internal:8080/mcp');
    });
  });

  describe('with a public URL and authorization servers configured', () => {
    const { services } = useTestServices({
      kind: 'pglite',
      options: () => ({
        env: {
          WARDEN_PUBLIC_URL: 'https://warden.example.com/',
          WARDEN_MCP_AUTHORIZATION_SERVERS: 'https://login.example.com, https://idp.example.org/realms/ops',
        },
      }),
    });
    let http: McpHttpHarness | undefined;
    afterEach(async () => {
      await http?.stop();
      http = undefined;
    });

    it('names the public resource and the issuers, whatever Host the request came with', async () => {
      http = await startMcpHttp({ services });
      const found = await discoverOAuthProtectedResourceMetadata(http.url);
      expect(found).toEqual({
        resource: 'https://warden.example.com/mcp',
        authorization_servers: ['https://login.example.com', 'https://idp.example.org/realms/ops'],
        bearer_methods_supported: ['header'],
        resource_name: 'Warden',
      });
      const refused = await fetch(http.url, { method: 'POST', body: initialize });
      expect(refused.headers.get('www-authenticate')).toBe(
        'Bearer realm="warden", resource_metadata="https://warden.example.com/.well-known/oauth-protected-resource/mcp"',
      );
    });
  });

  it('refuses authorization servers that are not http(s) URLs, saying which variable', () => {
    expect(() =>
      parseConfig({ env: { WARDEN_MCP_AUTHORIZATION_SERVERS: 'https://ok.example.com,javascript:x' } }),
    ).toThrow(/WARDEN_MCP_AUTHORIZATION_SERVERS must be a comma-separated list of http\(s\) URLs/);
    expect(() => parseConfig({ env: { WARDEN_PUBLIC_URL: 'not a url' } })).toThrow(/WARDEN_PUBLIC_URL/);
  });
});
