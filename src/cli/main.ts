import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { plannerFor } from '../app/planner.ts';
import { auditHeadCommand, auditVerifyCommand } from '../audit/audit.cli.ts';
import { createAuditLog } from '../audit/audit.repository.ts';
import { catalogValidateCommand } from '../catalog/catalog.cli.ts';
import { parseConfig } from '../config/config.ts';
import { evalExportCommand, evalRunCommand } from '../evals/eval.cli.ts';
import { MCP_USAGE } from '../mcp/mcp.usage.ts';
import { charterTestCommand } from '../policy/charter.cli.ts';
import { systemClock } from '../shared/clock.ts';
import { isWardenError } from '../shared/errors.ts';
import { createLogger } from '../shared/logger.ts';
import { createRedactor } from '../shared/redact.ts';
import { connectionsCheckCommand } from '../systems/connections.check.ts';
import { loadWorldFile } from '../tools/sandbox/world.loader.ts';
import { toolCatalogEntries } from '../tools/tool-catalog.ts';
import { charterValidateWithEvidence } from './charter-validate.cli.ts';
import { openCommandDatabase } from './command-database.ts';

const USAGE = `usage: warden <command>

  charter validate [--dir DIR]   validate charters/*.yaml
  charter test [--dir DIR]       run charters/*.test.yaml decision cases
  catalog validate [--dir DIR]   validate the service catalog and its connections (catalog/*.yaml)
  catalog mcp-pins [--dir DIR]   the hash of each tool imported from an MCP server, and the charters' pins
  connections check [--dir DIR]  read one harmless thing from each connection; say what is wrong
  audit verify                   walk the audit hash chain and name the first broken event
  audit head [--json]            print the chain head, to anchor it outside the database
  world validate [--file FILE]   validate a sandbox world file
  db migrate                     apply migrations to DATABASE_URL (or the embedded database)
  eval export [--dir DIR]        write the kept eval cases to evals/<agent>/*.yaml
  eval [--agent A] [--repeat N] [--accept] [--json] [--dir DIR] [--record | --no-record]
                                 replay evals/ through the configured planner; beside the baseline;
                                 recorded as evidence when DATABASE_URL is set (or --record)
${MCP_USAGE}

Environment: DATABASE_URL (absent: embedded PGlite in WARDEN_DATA_DIR), CHARTERS_DIR, WARDEN_CATALOG_DIR,
WARDEN_WORLD_FILE, WARDEN_MCP_TOKEN.`;

const out = { write: (s: string) => void process.stdout.write(s.endsWith('\n') ? s : `${s}\n`) };
const err = { write: (s: string) => void process.stderr.write(s) };

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
      agent: { type: 'string' },
      'on-behalf-of': { type: 'string' },
      by: { type: 'string' },
      repeat: { type: 'string' },
      accept: { type: 'boolean' },
      record: { type: 'boolean' },
      'no-record': { type: 'boolean' },
    },
  });
  const [group, action] = positionals;
  const command = `${group ?? ''} ${action ?? ''}`.trim();
  if (values.help || command === '' || command === 'help') {
    out.write(USAGE);
    return 0;
  }
  const config = parseConfig({ env });
  if (group === 'mcp') {
    const database = await openCommandDatabase({ command: 'mcp', config });
    if (!database) return 1;
    // Loaded only for `mcp`: serving needs every layer, which the other commands do not.
    const { mcpCommand } = await import('./mcp.cli.ts');
    try {
      return await mcpCommand({ words: positionals.slice(1), options: values, config, database, out, err });
    } finally {
      await database.close();
    }
  }
  switch (command) {
    case 'charter validate':
      return charterValidateWithEvidence({ config, dir: values.dir ?? config.chartersDir, out });
    case 'charter test':
      return charterTestCommand({
        dir: values.dir ?? config.chartersDir,
        toolCatalog: toolCatalogEntries(),
        out,
      });
    case 'catalog validate':
      return catalogValidateCommand({ dir: values.dir ?? config.catalogDir, out });
    case 'catalog mcp-pins': {
      // Loaded only here: it starts the MCP servers the catalog names (and the SDK with them).
      const { mcpPinsCommand } = await import('../mcp/providers/mcp-pins.cli.ts');
      const redactor = createRedactor({ secrets: config.secrets });
      return mcpPinsCommand({
        catalogDir: values.dir ?? config.catalogDir,
        chartersDir: config.chartersDir,
        env: config.secretEnv,
        out,
        logger: createLogger({ level: 'warn', redactor, destination: process.stderr }),
      });
    }
    case 'connections check':
      return connectionsCheckCommand({ dir: values.dir ?? config.catalogDir, env: config.secretEnv, out });
    case 'eval':
      return evalCommand({ config, options: values });
    case 'eval export': {
      const database = await openCommandDatabase({ command, config });
      if (!database) return 1;
      try {
        return await evalExportCommand({
          db: database.db,
          dir: values.dir ?? 'evals',
          ...(values.agent ? { agent: values.agent } : {}),
          out,
        });
      } finally {
        await database.close();
      }
    }
    case 'world validate': {
      const file = values.file ?? config.worldFile;
      const world = loadWorldFile({ file });
      out.write(`✓ ${file}: ${world.incidents.length} incidents`);
      return 0;
    }
    case 'audit verify':
    case 'audit head':
    case 'db migrate': {
      const database = await openCommandDatabase({ command, config });
      if (!database) return 1;
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

/** `warden eval`: the configured planner (OpenAI when OPENAI_API_KEY is set, else the offline rules). */
async function evalCommand({
  config,
  options,
}: {
  config: ReturnType<typeof parseConfig>;
  options: {
    dir?: string;
    agent?: string;
    repeat?: string;
    accept?: boolean;
    json?: boolean;
    by?: string;
    record?: boolean;
    'no-record'?: boolean;
  };
}): Promise<number> {
  const redactor = createRedactor({ secrets: config.secrets });
  const logger = createLogger({ level: 'warn', redactor, destination: process.stderr });
  // The evidence runs are held against: recorded on Postgres by default, in the embedded database on request.
  const recording =
    options['no-record'] !== true && (config.database.url !== undefined || options.record === true);
  const database = recording ? await openCommandDatabase({ command: 'eval', config }) : null;
  if (recording && !database) return 1;
  try {
    return await evalRunCommand({
      dir: options.dir ?? 'evals',
      chartersDir: config.chartersDir,
      planner: await plannerFor({ config, redactor, logger }),
      redactor,
      ...(options.agent ? { agent: options.agent } : {}),
      repeat: options.repeat === undefined ? 1 : Number(options.repeat),
      accept: options.accept === true,
      json: options.json === true,
      recorder: database
        ? {
            db: database.db,
            audit: createAuditLog({ redactor, clock: systemClock }),
            clock: systemClock,
            actor: options.by ?? `cli:${userInfo().username}`,
          }
        : null,
      out,
    });
  } finally {
    await database?.close();
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
