import { randomBytes } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';

/** The migrated, empty database every Postgres test database is a copy of (see postgres-template.global.ts). */
export type PostgresTemplate = {
  name: string;
  /** The template's `schemaFingerprint`: a copy with another one had its schema changed by a test. */
  fingerprint: string;
};

/** The Postgres server tests use, when one is configured (`.ci/run` sets it). */
export const testPostgresUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;

/** The migrated, empty PGlite data directory (a tar file) every PGlite test database loads. */
export type PgliteTemplate = { file: string; fingerprint: string };

declare module 'vitest' {
  export interface ProvidedContext {
    postgresTemplate: PostgresTemplate | null;
    pgliteTemplate: PgliteTemplate;
  }
}

/** A one-connection client for plain SQL (no type fetch), ended by the caller. */
export function connectPlain(url: string) {
  return postgres(url, { max: 1, onnotice: () => {}, fetch_types: false, connect_timeout: 5 });
}

/** The same server's URL for another database. */
export function withDatabaseName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** A new test database name; its pid tells a later run whether the process that made it is gone. */
export function testDatabaseName(suffix = randomBytes(4).toString('hex')): string {
  return `warden_test_${process.pid}_${suffix}`;
}

/** Runs `statement` on the server's maintenance database (where databases are created and dropped). */
export async function onServer(serverUrl: string, statement: string): Promise<void> {
  const admin = connectPlain(serverUrl);
  try {
    await admin.unsafe(statement);
  } finally {
    await admin.end();
  }
}

/**
 * Drops the test databases of processes that are gone (a run killed before its clean-up), only on a server
 * on this machine, where a pid means something. One still in use is left alone: it is not dropped by force.
 */
export async function dropLeftoverDatabases(serverUrl: string): Promise<void> {
  if (!['127.0.0.1', 'localhost', '[::1]', ''].includes(new URL(serverUrl).hostname)) return;
  const admin = connectPlain(serverUrl);
  try {
    const rows = await admin<{ name: string }[]>`
      select datname as name from pg_database where datname like 'warden\_test\_%'`;
    for (const { name } of rows) {
      const pid = Number(/^warden_test_(\d+)_/.exec(name)?.[1]);
      if (!pid || isAlive(pid)) continue;
      await admin.unsafe(`drop database if exists ${name}`).catch(() => {});
    }
  } finally {
    await admin.end();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every table in `public`, quoted; the drizzle schema's migration journal is not among them. */
export async function publicTables(sql: postgres.Sql): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    select format('%I', tablename) as name from pg_tables where schemaname = 'public' order by 1`;
  return rows.map((r) => r.name);
}

/**
 * One hash of everything a test could change in a schema with DDL: tables, columns, defaults, constraints,
 * indexes, triggers (and whether they are enabled), functions, types, sequences, privileges, policies, rules,
 * schemas, extensions and database settings. Equal hashes: emptying the tables gives back the template.
 */
const SCHEMA_FINGERPRINT_SQL = `
    with ns as (
      select oid from pg_namespace
      where nspname not in ('pg_catalog', 'information_schema') and nspname not like 'pg_toast%'
        and nspname not like 'pg_temp%'
    ), rel as (select oid from pg_class where relnamespace in (select oid from ns))
    select md5(string_agg(item, E'\n' order by item)) as fingerprint from (
      select 'schema ' || nspname from pg_namespace where oid in (select oid from ns)
      union all select concat_ws(' ', 'class', oid::regclass, relkind, relacl, relrowsecurity, reloptions)
        from pg_class where oid in (select oid from rel)
      union all select concat_ws(' ', 'column', attrelid::regclass, attname, format_type(atttypid, atttypmod),
          attnotnull, attisdropped, pg_get_expr(d.adbin, d.adrelid))
        from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where attrelid in (select oid from rel) and attnum > 0
      union all select concat_ws(' ', 'constraint', conrelid::regclass, conname, pg_get_constraintdef(oid),
          convalidated)
        from pg_constraint where connamespace in (select oid from ns)
      union all select concat_ws(' ', 'index', pg_get_indexdef(indexrelid)) from pg_index
        where indrelid in (select oid from rel)
      union all select concat_ws(' ', 'trigger', pg_get_triggerdef(oid), tgenabled) from pg_trigger
        where not tgisinternal
      union all select concat_ws(' ', 'function', oid::regprocedure, md5(prosrc)) from pg_proc
        where pronamespace in (select oid from ns)
      union all select concat_ws(' ', 'type', oid::regtype) from pg_type
        where typnamespace in (select oid from ns) and typrelid = 0
      union all select concat_ws(' ', 'sequence', seqrelid::regclass, seqstart, seqincrement, seqmin, seqmax)
        from pg_sequence
      union all select concat_ws(' ', 'policy', polrelid::regclass, polname) from pg_policy
      union all select concat_ws(' ', 'rule', ev_class::regclass, rulename, ev_enabled) from pg_rewrite
        where ev_class in (select oid from rel)
      union all select concat_ws(' ', 'event trigger', evtname, evtenabled) from pg_event_trigger
      union all select 'extension ' || extname from pg_extension
      union all select concat_ws(' ', 'setting', setrole, setconfig) from pg_db_role_setting
        where setdatabase = (select oid from pg_database where datname = current_database())
    ) items(item)`;

/** The fingerprint of the schema `sql` is connected to (see `SCHEMA_FINGERPRINT_SQL`). */
export async function schemaFingerprint(sql: postgres.Sql): Promise<string> {
  const [row] = await sql.unsafe<{ fingerprint: string }[]>(SCHEMA_FINGERPRINT_SQL);
  return row!.fingerprint;
}

/** The same fingerprint of an embedded database. */
export async function pgliteSchemaFingerprint(pg: PGlite): Promise<string> {
  const { rows } = await pg.query<{ fingerprint: string }>(SCHEMA_FINGERPRINT_SQL);
  return rows[0]!.fingerprint;
}

/**
 * Puts a database's rows back as the migrations left them (none): truncates, in one statement, every table
 * that was written to, and restarts every sequence. A table never written to (its file still empty) is left
 * alone, as truncating it would rebuild its indexes, an fsync each. The session runs as a replica so that
 * triggers (the audit table's refusal of TRUNCATE) stay quiet: this needs a superuser.
 */
export async function emptyTables(sql: postgres.Sql): Promise<void> {
  const written = await sql.unsafe<{ name: string }[]>(WRITTEN_TABLES_SQL);
  await sql.unsafe(emptyTablesSql(written.map((t) => t.name)));
}

/** The tables of `public` that were ever written to (quoted). */
export const WRITTEN_TABLES_SQL = `select format('%I', relname) as name from pg_class
  where relnamespace = 'public'::regnamespace and relkind = 'r' and pg_relation_size(oid) > 0`;

/** Truncates these tables and restarts every sequence, as a replica (see `emptyTables`). */
export function emptyTablesSql(written: string[]): string {
  const truncate = written.length ? `truncate ${written.join(', ')} cascade;` : '';
  return `set session_replication_role = replica; ${truncate}
    select setval(seqrelid, seqstart, false) from pg_sequence
    join pg_class on pg_class.oid = seqrelid where relnamespace = 'public'::regnamespace`;
}

/** The tables of `tables` that have rows (in a template: rows the migrations seed, which a reset would lose). */
export async function tablesWithRows(sql: postgres.Sql, tables: string[]): Promise<string[]> {
  if (tables.length === 0) return [];
  const rows = await sql.unsafe<{ name: string }[]>(
    tables.map((t) => `select '${t}' as name where exists (select from ${t})`).join(' union all '),
  );
  return rows.map((r) => r.name);
}
