import type { Output } from '../policy/charter.cli.ts';
import { checkCatalogDir } from './catalog.loader.ts';

/** `warden catalog validate`: checks every service file and the connections in `dir`; returns the exit code. */
export function catalogValidateCommand({ dir, out }: { dir: string; out: Output }): number {
  const { files, problems, catalog } = checkCatalogDir({ dir });
  for (const file of files) {
    if (file.ok) out.write(`✓ ${file.file} (${file.what})\n`);
    else {
      out.write(`✗ ${file.file}\n`);
      for (const problem of file.problems) out.write(`    ${problem}\n`);
    }
  }
  for (const problem of problems) out.write(`✗ ${problem}\n`);
  if (catalog) {
    const services = catalog.services().length;
    const connections = Object.keys(catalog.connections()).length;
    out.write(
      services + connections === 0
        ? `no catalog in ${dir}: only the sandbox's tools can be used\n`
        : `catalog valid: ${services} service${services === 1 ? '' : 's'}, ${connections} connection${connections === 1 ? '' : 's'}\n`,
    );
    return 0;
  }
  const invalid = files.filter((f) => !f.ok).length;
  out.write(
    `catalog invalid: ${invalid} of ${files.length} files have problems${problems.length ? `, plus ${problems.length} across files` : ''}\n`,
  );
  return 1;
}
