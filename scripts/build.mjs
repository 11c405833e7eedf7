// Compiles src/ to JavaScript in dist/ (same layout, so paths relative to the repo hold), for `npm start`:
// Node then loads plain modules, without tsx's loader hooks on every import (start-up about twice as fast).
// Types are checked by `npm run typecheck`, not here (`noCheck`): this only strips them.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const STAMP = '.built';

/** Every file under `dir`. */
function filesOf(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesOf(path) : [path];
  });
}

/** Whether `outDir` holds a build of the sources as they are now. */
export function isBuilt(outDir = join(root, 'dist')) {
  const stamp = join(outDir, STAMP);
  if (!existsSync(stamp)) return false;
  const builtAt = statSync(stamp).mtimeMs;
  return filesOf(src).every((file) => statSync(file).mtimeMs <= builtAt);
}

/**
 * Builds into `outDir` (a directory of the repo, one level down, as `dist/`): tsc emits the modules, the
 * other files of src/ (the worker's entry, the console's assets, JSON) are copied beside them. Returns
 * false when TypeScript is not installed (`npm ci --omit=dev`): the caller then runs the sources.
 */
export function build(outDir = join(root, 'dist')) {
  let tsc;
  try {
    tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    return false;
  }
  rmSync(outDir, { recursive: true, force: true });
  const compiled = spawnSync(
    process.execPath,
    [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir],
    { stdio: 'inherit' },
  );
  if (compiled.status !== 0) throw new Error(`tsc exited with ${compiled.status ?? compiled.signal}`);
  for (const file of filesOf(src).filter((f) => !f.endsWith('.ts'))) {
    const target = join(outDir, relative(src, file));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
  }
  writeFileSync(join(outDir, STAMP), `${new Date().toISOString()}\n`);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2] ? join(root, process.argv[2]) : undefined;
  if (!build(outDir)) {
    console.error('TypeScript is not installed (npm ci without --omit=dev installs it).');
    process.exit(1);
  }
}
