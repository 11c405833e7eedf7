import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { PGlite } from '@electric-sql/pglite';

/**
 * Embedded Postgres is for trying Warden and for small teams: a small buffer pool is plenty, and the
 * WebAssembly memory it grows into is never given back, so these keep the process small. (The module
 * itself needs 128 MB of WebAssembly memory to start: it refuses a smaller `initialMemory`.)
 */
export const PGLITE_START_PARAMS = [
  ...PGlite.defaultStartParams,
  ...['-c', 'shared_buffers=16MB', '-c', 'wal_buffers=1MB', '-c', 'temp_buffers=1MB'],
  ...['-c', 'work_mem=2MB', '-c', 'maintenance_work_mem=16MB'],
];

const initScript = fileURLToPath(new URL('./pglite-init.mjs', import.meta.url));

/**
 * Creates a new data directory in a short-lived child process: initdb inside WebAssembly grows the
 * memory to ~800 MB, which a process never gets back; the child's is gone when it exits. If the child
 * cannot do it, `PGlite.create` creates the directory in the calling process instead (or says what is wrong).
 */
export function initialiseDataDir(dataDir: string): void {
  spawnSync(process.execPath, [initScript, dataDir, JSON.stringify(PGLITE_START_PARAMS)], {
    stdio: 'ignore',
    timeout: 120_000,
  });
}

/**
 * Compiles PGlite's WebAssembly with V8's baseline compiler alone (Liftoff), never tiering hot functions
 * up to the optimising one (TurboFan), whose second copy of the code stays resident. Measured on Node 20:
 * ~65 MB less idle RSS, and a short workload no slower (tier-up compiles compete for the CPU); on Node 24
 * no measurable difference. It holds for the whole process and for modules compiled afterwards, so
 * whatever opens PGlite calls it first. Postgres-backed instances never call it.
 */
export function useBaselineWasmCompiler(): void {
  setFlagsFromString('--liftoff-only');
}
