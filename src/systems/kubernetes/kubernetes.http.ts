import {
  AppsV1Api,
  AuthorizationV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  createConfiguration,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  ResponseContext,
  ServerConfiguration,
  wrapHttpLibrary,
} from '@kubernetes/client-node';
import { wardenError } from '../../shared/errors.ts';
import type { Redactor } from '../../shared/redact.ts';
import { shortText, statusError, transportError } from '../system-errors.ts';
import type { KubernetesConnection } from '../systems.types.ts';

/** Whose token a client carries: the broker's own, or a per-proposal token of an executor account. */
export type Credential = 'broker' | 'read' | 'write';

/** The client-node APIs Warden uses, all sharing one token, one abort signal and one error mapping. */
export type KubernetesClients = {
  apps: AppsV1Api;
  core: CoreV1Api;
  autoscaling: AutoscalingV2Api;
  authorization: AuthorizationV1Api;
};

/** Largest answer read from the API server; a bigger one is refused rather than held in memory. */
export const MAX_KUBERNETES_RESPONSE_BYTES = 8 * 1024 * 1024;

/**
 * The client-node APIs for one connection and token. Every request carries the caller's abort signal
 * (the kill switch) and a timeout; every failure becomes a coded `system.*` error (or `tools.aborted`)
 * naming the connection and what the API server said, never the token.
 */
export function kubernetesClients({
  connection,
  token,
  credential,
  signal,
  timeoutMs,
  redactor,
}: {
  connection: KubernetesConnection;
  token: string;
  credential: Credential;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  redactor: Redactor;
}): KubernetesClients {
  const server = connection.url.replace(/\/+$/, '');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: connection.name,
        server,
        // client-node refuses plain http unless told to skip TLS checks: there is no TLS to check then.
        // An https URL is always verified (against the catalog's CA file, else the system's CAs).
        skipTLSVerify: /^http:/i.test(server),
        ...(connection.caPem ? { caData: Buffer.from(connection.caPem, 'utf8').toString('base64') } : {}),
      },
    ],
    users: [{ name: 'warden', token }],
    contexts: [{ name: 'warden', cluster: connection.name, user: 'warden' }],
    currentContext: 'warden',
  });
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(server, {}),
    authMethods: { default: kc },
    httpApi: guardedHttp({ connection: connection.name, credential, signal, timeoutMs, redactor }),
  });
  return {
    apps: new AppsV1Api(configuration),
    core: new CoreV1Api(configuration),
    autoscaling: new AutoscalingV2Api(configuration),
    authorization: new AuthorizationV1Api(configuration),
  };
}

/** client-node's own fetch library, with the signal, the timeout, a size cap and Warden's error codes. */
function guardedHttp({
  connection,
  credential,
  signal,
  timeoutMs,
  redactor,
}: {
  connection: string;
  credential: Credential;
  signal: AbortSignal | undefined;
  timeoutMs: number;
  redactor: Redactor;
}) {
  const inner = new IsomorphicFetchHttpLibrary();
  return wrapHttpLibrary({
    async send(request) {
      if (signal?.aborted) throw cancelled(connection, signal);
      const timeout = AbortSignal.timeout(timeoutMs);
      request.setSignal(signal ? AbortSignal.any([signal, timeout]) : timeout);
      let response: ResponseContext;
      let text: string;
      try {
        response = await inner.send(request).toPromise();
        const declared = Number(response.headers['content-length'] ?? 0);
        if (declared > MAX_KUBERNETES_RESPONSE_BYTES) throw tooLarge(connection);
        text = await response.body.text();
      } catch (error) {
        if ((error as { name?: unknown }).name === 'WardenError') throw error;
        if (signal?.aborted) throw cancelled(connection, signal);
        const cause = timeout.aborted ? { name: 'TimeoutError' } : error;
        throw transportError({ connection, error: cause, timeoutMs });
      }
      if (Buffer.byteLength(text) > MAX_KUBERNETES_RESPONSE_BYTES) throw tooLarge(connection);
      if (response.httpStatusCode >= 400)
        throw kubernetesStatusError({
          connection,
          credential,
          status: response.httpStatusCode,
          text,
          redactor,
        });
      return new ResponseContext(response.httpStatusCode, response.headers, {
        text: async () => text,
        binary: async () => Buffer.from(text, 'utf8'),
      });
    },
  });
}

/**
 * An error answer of the API server as a coded error: the `Status` message (redacted, shortened) and
 * reason; a refused per-proposal token says it was revoked or expired, which is what a 401 means there.
 */
export function kubernetesStatusError({
  connection,
  credential,
  status,
  text,
  redactor,
}: {
  connection: string;
  credential: Credential;
  status: number;
  text: string;
  redactor: Redactor;
}) {
  const parsed = parseStatus(text);
  const said = shortText(redactor.redactText(parsed.message));
  const base = statusError({ connection, status, said });
  const details = { ...base.details, reason: parsed.reason, credential };
  if (status === 401 && credential !== 'broker')
    return wardenError({
      code: base.code,
      message: `${connection} refused the per-proposal ${credential} token (401): it was revoked (its lease Secret is gone: kill switch or end of the call) or it expired.`,
      details,
    });
  if (status === 401)
    return wardenError({
      code: base.code,
      message: `${connection} refused the broker token (401)${said ? `: ${said}` : ''}; check the secret it comes from (the connection's \`token\`).`,
      details,
    });
  return wardenError({ code: base.code, message: base.message, details });
}

function parseStatus(text: string): { message: string; reason: string | null } {
  try {
    const json = JSON.parse(text) as { message?: unknown; reason?: unknown };
    return {
      message: typeof json.message === 'string' ? json.message : '',
      reason: typeof json.reason === 'string' ? json.reason : null,
    };
  } catch {
    return { message: text, reason: null };
  }
}

function cancelled(connection: string, signal: AbortSignal) {
  return wardenError({
    code: 'tools.aborted',
    message: `The call to ${connection} was cancelled.`,
    cause: signal.reason,
  });
}

function tooLarge(connection: string) {
  return wardenError({
    code: 'system.bad_response',
    message: `${connection} answered more than ${MAX_KUBERNETES_RESPONSE_BYTES / 1024 / 1024} MiB; narrow the request.`,
    details: { connection },
  });
}
