import type { IncomingMessage, ServerResponse } from 'node:http';

const MAX_BODY_BYTES = 64 * 1024;
const LOCAL_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/i;

/** The console acts as anyone in the workspace, so its page may load only its own files. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Sends JSON with no caching. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** Sends a page or an asset with the console's security headers. */
export function sendText(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, {
    'content-type': `${contentType}; charset=utf-8`,
    'cache-control': 'no-store',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(body);
}

/**
 * Only this machine's browser may use the console: the Host must be a loopback name (no DNS rebinding),
 * and a cross-site page cannot post because state changes need `application/json` and a matching Origin.
 */
export function refuseForeignRequest(req: IncomingMessage, res: ServerResponse): boolean {
  const host = req.headers.host ?? '';
  if (!LOCAL_HOST.test(host)) {
    sendJson(res, 403, { ok: false, error: 'the local console answers only on localhost' });
    return true;
  }
  if (req.method === 'POST') {
    const origin = req.headers.origin;
    const type = req.headers['content-type'] ?? '';
    if ((origin !== undefined && origin !== `http://${host}`) || !type.startsWith('application/json')) {
      sendJson(res, 403, { ok: false, error: 'cross-site request refused' });
      return true;
    }
  }
  return false;
}

/** Reads a JSON request body of at most 64 KiB; undefined when it is too big or not JSON. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The query parameters of a request. */
export function queryOf(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? '/', 'http://localhost').searchParams;
}
