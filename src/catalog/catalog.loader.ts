import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { formatIssues } from '../policy/charter.issues.ts';
import { listPolicyFiles } from '../policy/charter.loader.ts';
import { parseSafeYaml, readPolicyFile, unreadableReason } from '../policy/yaml-safe.ts';
import { wardenError } from '../shared/errors.ts';
import {
  type ConnectionSpec,
  connectionsFileSchema,
  type ServiceSpec,
  serviceSchema,
} from './catalog.schemas.ts';
import { type Catalog, createCatalog } from './catalog.ts';

/** The file in the catalog directory that names the real systems; every other `*.yaml` is one service. */
export const CONNECTIONS_FILE = 'connections.yaml';

export type CatalogFileCheck = { file: string; ok: boolean; problems: string[]; what: string };

export type CatalogCheck = {
  files: CatalogFileCheck[];
  /** Problems across files: a service defined twice, a connection that is missing or of another kind. */
  problems: string[];
  catalog: Catalog | null;
};

/**
 * Validates a catalog directory: each service file and `connections.yaml` on their own, then across them.
 * A directory that does not exist is an empty catalog (the sandbox needs none); every problem is one line
 * naming the file, the path in it and what to fix.
 */
export function checkCatalogDir({ dir }: { dir: string }): CatalogCheck {
  if (!existsSync(dir))
    return { files: [], problems: [], catalog: createCatalog({ services: [], connections: {} }) };
  let names: string[];
  try {
    names = listPolicyFiles({ dir, tests: false });
  } catch (error) {
    return {
      files: [],
      problems: [`${dir}: cannot read the catalog directory: ${unreadableReason(error)}`],
      catalog: null,
    };
  }
  const connectionsFile = join(dir, CONNECTIONS_FILE);
  const files: CatalogFileCheck[] = [];
  let connections: Record<string, ConnectionSpec> = {};
  if (names.includes(connectionsFile)) {
    const read = readValidated({
      file: connectionsFile,
      schema: connectionsFileSchema,
      expected: 'connections',
    });
    files.push({ file: connectionsFile, ok: !!read.value, problems: read.problems, what: 'connections' });
    if (read.value) connections = read.value.connections;
  }
  const services: { file: string; spec: ServiceSpec }[] = [];
  for (const file of names.filter((n) => n !== connectionsFile)) {
    const read = readValidated({
      file,
      schema: serviceSchema,
      expected: 'service, owner_channel and environments',
    });
    files.push({
      file,
      ok: !!read.value,
      problems: read.problems,
      what: read.value ? `service ${read.value.service}` : 'service',
    });
    if (read.value) services.push({ file, spec: read.value });
  }
  const problems = crossCheck({ services, connections, connectionsFile });
  const valid = files.every((f) => f.ok) && problems.length === 0;
  return {
    files,
    problems,
    catalog: valid ? createCatalog({ services: services.map((s) => s.spec), connections }) : null,
  };
}

/** Loads a catalog directory; throws `catalog.invalid` listing every problem in every file. */
export function loadCatalog({ dir }: { dir: string }): Catalog {
  const checked = checkCatalogDir({ dir });
  if (checked.catalog) return checked.catalog;
  const problems = [...checked.files.flatMap((f) => f.problems), ...checked.problems];
  throw wardenError({ code: 'catalog.invalid', message: problems.join('\n'), details: { problems } });
}

function readValidated<T>({
  file,
  schema,
  expected,
}: {
  file: string;
  schema: z.ZodType<T>;
  expected: string;
}): { value: T | null; problems: string[] } {
  const read = readPolicyFile({ file });
  if (!read.ok) return { value: null, problems: read.problems };
  const parsed = parseSafeYaml({ text: read.text, file, expected });
  if (!parsed.ok) return { value: null, problems: parsed.problems };
  const result = schema.safeParse(parsed.value);
  if (result.success) return { value: result.data, problems: [] };
  const problems = formatIssues({
    issues: result.error.issues,
    file,
    input: parsed.value,
    lineOf: parsed.lineOf,
  });
  return { value: null, problems };
}

const SYSTEMS = [
  'kubernetes',
  'prometheus',
  'alertmanager',
  'pagerduty',
  'jira',
  'github',
  'runbooks',
] as const;

function crossCheck({
  services,
  connections,
  connectionsFile,
}: {
  services: { file: string; spec: ServiceSpec }[];
  connections: Record<string, ConnectionSpec>;
  connectionsFile: string;
}): string[] {
  const problems: string[] = [];
  const prefixes = new Map<string, string>();
  for (const [named, connection] of Object.entries(connections)) {
    if (connection.kind !== 'pagerduty') continue;
    const other = prefixes.get(connection.incident_prefix);
    if (other)
      problems.push(
        `${connectionsFile}: connections.${named}.incident_prefix: "${connection.incident_prefix}" is already the prefix of ${other}`,
      );
    else prefixes.set(connection.incident_prefix, named);
  }
  const firstFileOf = new Map<string, string>();
  for (const { file, spec } of services) {
    const earlier = firstFileOf.get(spec.service);
    if (earlier) problems.push(`${file}: service: "${spec.service}" is already defined in ${earlier}`);
    else firstFileOf.set(spec.service, file);
    for (const [environment, systems] of Object.entries(spec.environments)) {
      if (systems.tickets && !systems[systems.tickets])
        problems.push(
          `${file}: environments.${environment}.tickets: files tickets in ${systems.tickets}, but names no ${systems.tickets} here`,
        );
      for (const system of SYSTEMS) {
        const named = systems[system]?.connection;
        if (named === undefined) continue;
        const where = `${file}: environments.${environment}.${system}.connection`;
        const connection = connections[named];
        if (!connection) {
          problems.push(`${where}: "${named}" is not a connection in ${connectionsFile}`);
        } else if (connection.kind !== system) {
          problems.push(`${where}: "${named}" is a ${connection.kind} connection, not ${system}`);
        }
      }
    }
  }
  return problems;
}
