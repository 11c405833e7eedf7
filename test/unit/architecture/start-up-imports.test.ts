import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/services.ts';

/**
 * What `src/main.ts` loads before it can say ready (docs/ARCHITECTURE.md, "Start-up"): packages that cost
 * a large share of start-up time or idle memory, and that a deployment may never use, are loaded with
 * `import()` where they are first needed, never by a static import reachable from `main.ts`. Each was
 * measured (bench figure 6): the Kubernetes client ~0.7 s and ~100 MB; PGlite ~45 MB of WebAssembly.
 */
const LOADED_WHEN_USED = [
  '@kubernetes/client-node',
  '@electric-sql/pglite',
  'openai',
  'pino-pretty',
  'kubernetes-models',
  'playwright-core',
  '@modelcontextprotocol/sdk',
];

const src = join(repoRoot, 'src');

/** The modules a file loads when it is evaluated: static imports and re-exports that bring in values. */
function staticImportsOf(source: ts.SourceFile): string[] {
  const found: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      const named = clause?.namedBindings;
      const typeOnly =
        !!clause &&
        (clause.isTypeOnly ||
          (!clause.name &&
            !!named &&
            ts.isNamedImports(named) &&
            named.elements.length > 0 &&
            named.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly && ts.isStringLiteral(statement.moduleSpecifier))
        found.push(statement.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && !statement.isTypeOnly) {
      if (ts.isStringLiteral(statement.moduleSpecifier)) found.push(statement.moduleSpecifier.text);
    }
  }
  return found;
}

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`). */
const packageOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/** Every package loaded, with the chain of files that loads it, from `entry` through static imports. */
function packagesLoadedFrom(entry: string, read: (file: string) => string): Map<string, string[]> {
  const packages = new Map<string, string[]>();
  const seen = new Set<string>([entry]);
  const queue: { file: string; chain: string[] }[] = [{ file: entry, chain: [relative(src, entry)] }];
  while (queue.length > 0) {
    const { file, chain } = queue.shift()!;
    const source = ts.createSourceFile(file, read(file), ts.ScriptTarget.Latest);
    for (const specifier of staticImportsOf(source)) {
      if (specifier.startsWith('node:')) continue;
      if (!specifier.startsWith('.')) {
        const name = packageOf(specifier);
        if (!packages.has(name)) packages.set(name, chain);
        continue;
      }
      const next = resolve(dirname(file), specifier);
      if (seen.has(next) || !next.endsWith('.ts')) continue;
      seen.add(next);
      queue.push({ file: next, chain: [...chain, relative(src, next)] });
    }
  }
  return packages;
}

const readSource = (file: string) => readFileSync(file, 'utf8');

/**
 * What `src/main.ts` loads with `import()` while the database is reached (`loadServing`): loaded at start-up
 * all the same, so what they reach through static imports counts too.
 */
const LOADED_AT_START_UP = [
  'app/services.ts',
  'app/slack-surface.ts',
  'app/alert-webhook.ts',
  'app/pagerduty-webhook.ts',
  'observability/metrics.ts',
  'app/mcp-gateway.ts',
];

describe('what start-up loads', () => {
  it('loads no heavy package that a deployment may not use through static imports from src/main.ts', () => {
    const loaded = packagesLoadedFrom(join(src, 'main.ts'), readSource);
    const eager = LOADED_WHEN_USED.filter((name) => loaded.has(name)).map(
      (name) => `${name} via ${loaded.get(name)!.join(' → ')}`,
    );
    expect(eager).toEqual([]);
    // The walk does reach the packages start-up needs (so an empty answer above means something).
    expect([...loaded.keys()]).toEqual(expect.arrayContaining(['@slack/bolt', 'drizzle-orm', 'postgres']));
  });

  it('loads none of them through the modules main.ts imports at start-up (the MCP SDK waits for a request)', () => {
    const main = readSource(join(src, 'main.ts'));
    const eager: string[] = [];
    for (const module of LOADED_AT_START_UP) {
      // The list is main.ts's own: a module it no longer imports this way is taken off.
      expect(main).toContain(`import('./${module}')`);
      const loaded = packagesLoadedFrom(join(src, module), readSource);
      for (const name of LOADED_WHEN_USED.filter((n) => loaded.has(n)))
        eager.push(`${name} via ${loaded.get(name)!.join(' → ')}`);
    }
    expect(eager).toEqual([]);
  });

  it('would see a heavy package imported statically deep down the chain (the check can fail)', () => {
    const files: Record<string, string> = {
      [join(src, 'main.ts')]: "import type { X } from 'openai';\nimport { a } from './app/a.ts';",
      [join(src, 'app/a.ts')]: "export { b } from '../systems/b.ts';",
      [join(src, 'systems/b.ts')]:
        "import { KubeConfig } from '@kubernetes/client-node';\nconst lazy = () => import('pino-pretty');",
    };
    const loaded = packagesLoadedFrom(join(src, 'main.ts'), (file) => files[file] ?? '');
    expect([...loaded.keys()]).toEqual(['@kubernetes/client-node']);
    expect(loaded.get('@kubernetes/client-node')).toEqual(['main.ts', 'app/a.ts', 'systems/b.ts']);
  });
});
