import { readFileSync } from 'node:fs';
import type { McpConnectionSpec } from '../../catalog/catalog.schemas.ts';
import type { Catalog } from '../../catalog/catalog.ts';
import type { Redactor } from '../../shared/redact.ts';
import { type ReadSecretFile, readSecret } from '../../systems/connections.ts';

/** How Warden reaches one MCP server, with its secrets read (never logged: each is with the redactor). */
export type McpServerTarget =
  | {
      name: string;
      transport: 'stdio';
      command: string;
      args: string[];
      /** Only these variables (plus the SDK's short safe list: PATH, HOME…); never Warden's own environment. */
      env: Record<string, string>;
      cwd: string | null;
      /** A fresh process per call (with the call's credential), ended after it; else one kept open. */
      perCall: boolean;
      connectTimeoutMs: number;
    }
  | {
      name: string;
      transport: 'http';
      url: string;
      headers: Record<string, string>;
      connectTimeoutMs: number;
    };

/** One MCP connection of the catalog, with the tools it imports (Warden's name → the server's name). */
export type McpProviderSpec = {
  target: McpServerTarget | null;
  /** Why the target could not be made (a secret missing), naming the connection and source. */
  problem: string | null;
  tools: Record<string, string>;
};

/** The catalog's MCP connections, each secret read from its source and registered with the redactor. */
export function resolveMcpProviders({
  catalog,
  env,
  redactor,
  readFile = (path) => readFileSync(path, 'utf8'),
}: {
  catalog: Catalog;
  env: Readonly<Record<string, string | undefined>>;
  redactor: Redactor;
  readFile?: ReadSecretFile;
}): McpProviderSpec[] {
  const specs: McpProviderSpec[] = [];
  for (const [name, spec] of Object.entries(catalog.connections())) {
    if (spec.kind !== 'mcp') continue;
    const tools = Object.fromEntries(Object.entries(spec.tools).map(([ours, t]) => [ours, t.tool]));
    const problems: string[] = [];
    const read = (source: Parameters<typeof readSecret>[0]['source'], what: string): string | null => {
      const found = readSecret({ source, env, readFile });
      if (!found.ok) {
        problems.push(`${name}: the ${what} ${found.message}`);
        return null;
      }
      redactor.addSecret(found.value);
      return found.value;
    };
    const target = targetOf({ name, spec, read, addSecret: (value) => redactor.addSecret(value) });
    specs.push({ target: problems.length > 0 ? null : target, problem: problems[0] ?? null, tools });
  }
  return specs;
}

function targetOf({
  name,
  spec,
  read,
  addSecret,
}: {
  name: string;
  spec: McpConnectionSpec;
  read: (source: McpConnectionSpec['env'][string], what: string) => string | null;
  addSecret: (value: string) => void;
}): McpServerTarget | null {
  const connectTimeoutMs = spec.connect_timeout_ms;
  if (spec.command !== undefined) {
    const serverEnv: Record<string, string> = {};
    for (const [variable, source] of Object.entries(spec.env)) {
      const value = read(source, `variable ${variable}`);
      if (value !== null) serverEnv[variable] = value;
    }
    return {
      name,
      transport: 'stdio',
      command: spec.command,
      args: spec.args,
      env: serverEnv,
      cwd: spec.cwd ?? null,
      perCall: spec.start === 'per_call',
      connectTimeoutMs,
    };
  }
  const headers: Record<string, string> = {};
  if (spec.auth && 'bearer' in spec.auth) {
    const token = read(spec.auth.bearer, 'bearer token');
    if (token !== null) headers.authorization = `Bearer ${token}`;
  } else if (spec.auth) {
    const password = read(spec.auth.basic.password, 'basic-auth password');
    if (password !== null) {
      const basic = Buffer.from(`${spec.auth.basic.username}:${password}`).toString('base64');
      // The encoded form would show the password to anyone who decodes it: it is a secret too.
      addSecret(basic);
      headers.authorization = `Basic ${basic}`;
    }
  }
  return { name, transport: 'http', url: spec.url ?? '', headers, connectTimeoutMs };
}
