import { readFileSync } from 'node:fs';
import type { ConnectionSpec, SecretSource } from '../catalog/catalog.schemas.ts';
import type { Catalog } from '../catalog/catalog.ts';
import type { Redactor } from '../shared/redact.ts';
import { resolveGitHubConnection } from './github.types.ts';
import { resolveJiraConnection } from './jira.types.ts';
import { resolveRunbooksConnection } from './runbook.types.ts';
import type { HttpAuth, ResolvedConnection } from './systems.types.ts';

export type ReadSecretFile = (path: string) => string;

export type ResolvedConnections = {
  /** Connections whose secrets could all be read, by name. */
  connections: Map<string, ResolvedConnection>;
  /** One line per connection that could not be resolved, naming it, the source and the fix. */
  problems: { connection: string; message: string }[];
};

/**
 * Reads every connection's secret from where the catalog says it lives (an environment variable or a
 * mounted file) and registers it with the redactor, so no log line, audit event or Slack message can show
 * it. A connection whose secret is missing is left out and named in `problems`; nothing is guessed.
 */
export function resolveConnections({
  catalog,
  env,
  redactor,
  readFile = (path) => readFileSync(path, 'utf8'),
}: {
  catalog: Catalog;
  env: Readonly<Record<string, string | undefined>>;
  redactor: Redactor;
  readFile?: ReadSecretFile;
}): ResolvedConnections {
  const connections = new Map<string, ResolvedConnection>();
  const problems: ResolvedConnections['problems'] = [];
  for (const [name, spec] of Object.entries(catalog.connections())) {
    const read = (source: SecretSource, what: string): string | null => {
      const found = readSecret({ source, env, readFile });
      if (!found.ok) {
        problems.push({ connection: name, message: `${name}: the ${what} ${found.message}` });
        return null;
      }
      redactor.addSecret(found.value);
      return found.value;
    };
    const resolved = resolveOne({ name, spec, read, readFile, problems });
    if (resolved) connections.set(name, resolved);
  }
  return { connections, problems };
}

function resolveOne({
  name,
  spec,
  read,
  readFile,
  problems,
}: {
  name: string;
  spec: ConnectionSpec;
  read: (source: SecretSource, what: string) => string | null;
  readFile: ReadSecretFile;
  problems: ResolvedConnections['problems'];
}): ResolvedConnection | null {
  if (spec.kind === 'kubernetes') {
    const brokerToken = read(spec.token, 'broker token');
    let caPem: string | null = null;
    if (spec.ca_file) {
      try {
        caPem = readFile(spec.ca_file);
      } catch (error) {
        problems.push({
          connection: name,
          message: `${name}: cannot read the cluster CA file ${spec.ca_file} (${fileReason(error)})`,
        });
        return null;
      }
    }
    if (brokerToken === null) return null;
    return { name, kind: 'kubernetes', url: spec.url, caPem, brokerToken, executor: spec.executor };
  }
  // An MCP server's secrets are read where its client is made (`src/mcp/providers/`), with this redactor.
  if (spec.kind === 'mcp') return null;
  if (spec.kind === 'jira') return resolveJiraConnection({ name, spec, read });
  if (spec.kind === 'github') return resolveGitHubConnection({ name, spec, read, problems });
  if (spec.kind === 'runbooks') return resolveRunbooksConnection({ name, spec, read });
  if (spec.kind === 'pagerduty') {
    const token = read(spec.token, 'API token');
    const webhookSecrets = spec.webhook_secrets.map((source, i) => read(source, `webhook secret ${i + 1}`));
    if (token === null || webhookSecrets.some((s) => s === null)) return null;
    return {
      name,
      kind: 'pagerduty',
      url: spec.url.replace(/\/+$/, ''),
      token,
      incidentPrefix: spec.incident_prefix,
      webhookSecrets: webhookSecrets.filter((s): s is string => s !== null),
      people: spec.people,
      defaultFrom: spec.default_from ?? null,
    };
  }
  let auth: HttpAuth = null;
  if (spec.auth && 'bearer' in spec.auth) {
    const token = read(spec.auth.bearer, 'bearer token');
    if (token === null) return null;
    auth = { kind: 'bearer', token };
  } else if (spec.auth) {
    const password = read(spec.auth.basic.password, 'basic-auth password');
    if (password === null) return null;
    auth = { kind: 'basic', username: spec.auth.basic.username, password };
  }
  return { name, kind: spec.kind, url: spec.url.replace(/\/+$/, ''), auth };
}

type Read = { ok: true; value: string } | { ok: false; message: string };

/** A secret's value from its source; trailing new lines of a mounted file are not part of it. */
export function readSecret({
  source,
  env,
  readFile,
}: {
  source: SecretSource;
  env: Readonly<Record<string, string | undefined>>;
  readFile: ReadSecretFile;
}): Read {
  if ('env' in source) {
    const value = env[source.env];
    if (!value) return { ok: false, message: `comes from ${source.env}, which is not set` };
    return { ok: true, value };
  }
  try {
    const value = readFile(source.file).replace(/[\r\n]+$/, '');
    if (!value) return { ok: false, message: `file ${source.file} is empty` };
    return { ok: true, value };
  } catch (error) {
    return { ok: false, message: `file ${source.file} cannot be read (${fileReason(error)})` };
  }
}

function fileReason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return typeof code === 'string' ? code : 'unreadable';
}
