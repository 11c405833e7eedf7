/** A path into a charter as people read it: `tools.rollback_deploy.environments.production`, `prohibited[1]`. */
export function formatCharterPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}
