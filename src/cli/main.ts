import { parseArgs } from 'node:util';
import { auditHeadCommand, auditVerifyCommand } from '../audit/audit.cli.ts';
import { parseConfig } from '../config/config.ts';
import { openDatabase } from '../db/client.ts';
import { charterTestCommand, charterValidateCommand } from '../policy/charter.cli.ts';
import { isWardenError } from '../shared/errors.ts';
import { sandboxToolCatalog } from '../tools/sandbox/sandbox.catalog.ts';
import { loadWorldFile } from '../tools/sandbox/world.loader.ts';

const USAGE = `usage: warden <command>

  charter validate [--dir DIR]   validate charters/*.yaml
  charter test [--dir DIR]       run charters/*.test.yaml decision cases
  audit verify                   walk the audit hash chain and name the first broken event
  audit head [--json]            print the chain head, to anchor it outside the database
  world validate [--file FILE]   validate a sandbox world file
  db migrate                     apply migrations to DATABASE_URL (or the embedded database)

Environment: DATABASE_URL (absent: embedded PGlite in WARDEN_DATA_DIR), CHARTERS_DIR, WARDEN_WORLD_FILE.`;

const out = { write: (s: string) => void process.stdout.write(s.endsWith('\n') ? s : `${s}\n`) };

/** Runs one CLI command and returns its exit code. */
export async function runCli(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      file: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  const [group, action] = positionals;
  const command = `${group ?? ''} ${action ?? ''}`.trim();
  if (values.help || command === '' || command === 'help') {
    out.write(USAGE);
    return 0;
  }
  const config = parseConfig({ env });
  switch (command) {
    case 'charter validate':
      return charterValidateCommand({ dir: values.dir ?? config.chartersDir, out });
    case 'charter test':
      return charterTestCommand({
        dir: values.dir ?? config.chartersDir,
        toolCatalog: sandboxToolCatalog,
        out,
      });
    case 'world validate': {
      const file = values.file ?? config.worldFile;
      const world = loadWorldFile({ file });
      out.write(`✓ ${file}: ${world.incidents.length} incidents`);
      return 0;
    }
    case 'audit verify':
    case 'audit head':
    case 'db migrate': {
      const database = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir });
      try {
        if (command === 'db migrate') {
          await database.migrate();
          out.write(
            `✓ migrations applied (${config.database.url ? 'DATABASE_URL' : config.database.dataDir})`,
          );
          return 0;
        }
        const result =
          command === 'audit verify'
            ? await auditVerifyCommand({ db: database.db, out })
            : await auditHeadCommand({ db: database.db, out, json: values.json === true });
        return result.exitCode;
      } finally {
        await database.close();
      }
    }
    default:
      process.stderr.write(`warden: unknown command "${command}"\n\n${USAGE}\n`);
      return 2;
  }
}

runCli(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = isWardenError(error)
      ? error.message
      : error instanceof Error
        ? error.message
        : String(error);
    process.stderr.write(`warden: ${message}\n`);
    process.exit(1);
  },
);
