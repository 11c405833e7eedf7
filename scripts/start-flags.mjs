// The Node flags `npm start` gives Warden (package.json's `start` script), for whatever runs Warden as
// `npm start` does: the bench, the tests of the built process.
import { readFileSync } from 'node:fs';

/** `--max-semi-space-size=8` and the like, read from package.json's `start` script. */
export function startFlags() {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const start = String(manifest.scripts?.start ?? '');
  const words = start.trim().split(/\s+/);
  if (words[0] !== 'node') throw new Error(`npm start does not run node: ${start}`);
  return words.slice(1).filter((word) => word.startsWith('--'));
}
