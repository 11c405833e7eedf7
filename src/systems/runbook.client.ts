import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { wardenError } from '../shared/errors.ts';
import { refusedAddress, refusedName } from './runbook.addresses.ts';
import { signWebhook } from './runbook.signing.ts';
import type { RunbooksConnection } from './runbook.types.ts';
import { shortText } from './system-errors.ts';

/** Resolves a host name to every address it has (the system resolver in production). */
export type Resolve = (hostname: string) => Promise<{ address: string; family: number }[]>;

export type RunbookAnswer = {
  status: number;
  /** The receiver's answer as text, cut at the connection's size limit. */
  body: string;
  truncated: boolean;
};

export type RunbookClient = {
  connection: string;
  /**
   * POSTs one Standard Webhooks message: `webhook-id` is the idempotency key (a receiver drops a repeat),
   * `webhook-timestamp` the clock's seconds, `webhook-signature` the HMAC. Refuses refused addresses
   * before connecting; follows no redirect; cuts the answer at its size and the call at its time limit.
   */
  post: (request: {
    url: string;
    id: string;
    payload: unknown;
    signal?: AbortSignal;
  }) => Promise<RunbookAnswer>;
  /** `connections check`: the secret is read; nothing is sent (a runbook request is never harmless). */
  ping: () => Promise<string>;
};

const systemResolve: Resolve = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** The signed runbook webhooks of one connection. */
export function createRunbookClient({
  connection,
  now,
  resolve = systemResolve,
}: {
  connection: RunbooksConnection;
  now: () => Date;
  resolve?: Resolve;
}): RunbookClient {
  const refuse = (url: URL, why: string) =>
    wardenError({
      code: 'runbooks.refused_address',
      message: `${connection.name}: will not send a runbook request to ${url.host}: ${why}.`,
      details: { connection: connection.name, host: url.host },
    });

  /** The one address to connect to, checked: a name is resolved here and connected to as resolved. */
  async function addressOf(url: URL): Promise<{ address: string; family: number }> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const named = refusedName(host);
    if (named) throw refuse(url, named);
    const options = { allowLoopback: connection.allowLoopback };
    if (isIP(host)) {
      const why = refusedAddress(host, options);
      if (why) throw refuse(url, why);
      return { address: host, family: isIP(host) };
    }
    let found: { address: string; family: number }[];
    try {
      found = await resolve(host);
    } catch {
      throw wardenError({
        code: 'system.unreachable',
        message: `${connection.name}: ${host} does not resolve.`,
        details: { connection: connection.name, host },
      });
    }
    // Every address must be allowed: a name that also resolves to a refused one is refused.
    for (const a of found) {
      const why = refusedAddress(a.address, options);
      if (why) throw refuse(url, `${host} resolves to ${why}`);
    }
    const first = found[0];
    if (!first) throw refuse(url, `${host} has no address`);
    return first;
  }

  return {
    connection: connection.name,
    post: async ({ url: target, id, payload, signal }) => {
      const url = new URL(target);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse(url, 'not http(s)');
      const pinned = await addressOf(url);
      const body = JSON.stringify(payload);
      const timestamp = Math.floor(now().getTime() / 1000);
      const headers = {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': 'Warden-Runbooks/1',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook({ secret: connection.signingSecret, id, timestamp, body }),
      };
      const lookup: LookupFunction = (_host, options, callback) => {
        if (options.all) callback(null, [pinned]);
        else callback(null, pinned.address, pinned.family);
      };
      return send({ url, headers, body, lookup, signal, connection });
    },
    ping: async () =>
      `${connection.name}: signing secret read; runbook requests are signed and sent only to the catalog's URLs${connection.allowLoopback ? ' (loopback allowed)' : ''}`,
  };
}

function send({
  url,
  headers,
  body,
  lookup,
  signal,
  connection,
}: {
  url: URL;
  headers: Record<string, string>;
  body: string;
  lookup: LookupFunction;
  signal: AbortSignal | undefined;
  connection: RunbooksConnection;
}): Promise<RunbookAnswer> {
  const name = connection.name;
  return new Promise((resolve, reject) => {
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, { method: 'POST', headers, lookup, agent: false });
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      request.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () =>
        fail(
          wardenError({
            code: 'system.timeout',
            message: `${name}: the runbook receiver did not answer within ${connection.timeoutMs} ms.`,
            details: { connection: name, timeoutMs: connection.timeoutMs },
          }),
        ),
      connection.timeoutMs,
    );
    request.on('error', (error) =>
      fail(
        wardenError({
          code: 'system.unreachable',
          message: `${name}: the runbook receiver at ${url.host} is unreachable (${(error as { code?: string }).code ?? 'no answer'}).`,
          details: { connection: name, host: url.host },
        }),
      ),
    );
    const onAbort = () =>
      fail(wardenError({ code: 'tools.aborted', message: `The call to ${name} was cancelled.` }));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      if (status >= 300 && status < 400)
        return fail(
          wardenError({
            code: 'runbooks.redirect_refused',
            message: `${name}: the runbook receiver answered ${status} (a redirect), which Warden does not follow; put the final URL in the catalog.`,
            details: { connection: name, status },
          }),
        );
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = (truncated: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (truncated) request.destroy();
        const text = Buffer.concat(chunks).subarray(0, connection.maxResponseBytes).toString('utf8');
        resolve({ status, body: text, truncated });
      };
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size > connection.maxResponseBytes) finish(true);
      });
      response.on('end', () => finish(false));
      response.on('error', () => undefined);
    });
    request.end(body);
  });
}

/** The receiver's answer as a person reads it in a summary. */
export function answerText(answer: RunbookAnswer): string {
  return shortText(answer.body, 200) + (answer.truncated ? ' (cut off)' : '');
}
