import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/services.ts';

/**
 * The plan of the house, drawn from its imports (docs/ARCHITECTURE.md, "Layers"): each folder of `src/`
 * may import only from folders before it in this list. Nothing is exempt; a new arrow upwards fails here
 * until the layering changes, in this list and in the architecture doc together.
 */
const LAYERS = [
  'shared',
  'config',
  'db',
  'policy',
  'catalog',
  'systems',
  'audit',
  'runs',
  'proposals',
  'incidents',
  'breakers',
  'tools',
  'approvals',
  'observability',
  'agents',
  'evals',
  'slack',
  'mcp',
  'app',
  'dev',
  'cli',
  'main.ts',
];

type Import = { from: string; to: string; typeOnly: boolean };

const src = join(repoRoot, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative import and re-export of a file, and whether it brings in types only. */
function importsOf(file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const found: Import[] = [];
  for (const statement of source.statements) {
    let specifier: ts.Expression | undefined;
    let typeOnly = false;
    if (ts.isImportDeclaration(statement)) {
      specifier = statement.moduleSpecifier;
      const clause = statement.importClause;
      const named = clause?.namedBindings;
      typeOnly =
        !!clause &&
        (clause.isTypeOnly ||
          (!clause.name &&
            !!named &&
            ts.isNamedImports(named) &&
            named.elements.length > 0 &&
            named.elements.every((e) => e.isTypeOnly)));
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier) {
      specifier = statement.moduleSpecifier;
      typeOnly = statement.isTypeOnly;
    }
    if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) continue;
    found.push({ from: file, to: resolve(dirname(file), specifier.text), typeOnly });
  }
  return found;
}

const layerOf = (file: string) => relative(src, file).split('/')[0] ?? '';
const name = (file: string) => relative(src, file);

/** The import circles among files (strongly connected components of more than one file). */
function circles(edges: Import[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(name(w));
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe("the tree drawn from src/'s imports", () => {
  const files = sourceFiles(src);
  const imports = files.flatMap(importsOf);

  it('knows the layer of every folder of src/', () => {
    const unknown = [...new Set(files.map(layerOf))].filter((layer) => !LAYERS.includes(layer));
    expect(unknown).toEqual([]);
  });

  it('resolves every relative import to a file of src/', () => {
    const known = new Set(files);
    expect(imports.filter((i) => !known.has(i.to)).map((i) => `${name(i.from)} → ${i.to}`)).toEqual([]);
  });

  it('has no arrow from a lower layer up to a higher one, type-only imports included', () => {
    const upwards = imports
      .filter((i) => LAYERS.indexOf(layerOf(i.from)) < LAYERS.indexOf(layerOf(i.to)))
      .map((i) => `${name(i.from)} → ${name(i.to)}`);
    expect(upwards).toEqual([]);
  });

  it('has no import circle, except through type-only imports', () => {
    expect(circles(imports.filter((i) => !i.typeOnly))).toEqual([]);
  });

  it('would see an arrow upwards and a circle if there were one (the check can fail)', () => {
    const up: Import = { from: join(src, 'db/x.ts'), to: join(src, 'tools/y.ts'), typeOnly: true };
    expect(LAYERS.indexOf(layerOf(up.from)) < LAYERS.indexOf(layerOf(up.to))).toBe(true);
    const a = join(src, 'tools/a.ts');
    const b = join(src, 'tools/b.ts');
    const loop: Import[] = [
      { from: a, to: b, typeOnly: false },
      { from: b, to: a, typeOnly: false },
    ];
    expect(circles(loop)).toEqual([['tools/a.ts', 'tools/b.ts']]);
  });
});
