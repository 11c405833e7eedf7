// `npm start`: Warden from dist/, built first when it is missing or older than a source file. Without
// TypeScript installed (`npm ci --omit=dev`), the sources run through tsx instead.
import { build, isBuilt } from './build.mjs';

if (isBuilt() || build()) {
  await import('../dist/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
