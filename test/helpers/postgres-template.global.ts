/**
 * Vitest global setup: with a Postgres server to test on, migrates one template database for the whole run
 * (every test database is a copy of it: see database.ts) and drops it at the end. It runs once, in the main
 * process, before any worker: the workers run files side by side and each file in a fresh module graph, so
 * a template made by a file or a worker would be made many times, and its makers would have to take turns.
 */
import type { TestProject } from 'vitest/node';
import { connectPostgres } from '../../src/db/client.ts';
import {
  connectPlain,
  dropLeftoverDatabases,
  onServer,
  type PostgresTemplate,
  publicTables,
  schemaFingerprint,
  tablesWithRows,
  testDatabaseName,
  testPostgresUrl,
  withDatabaseName,
} from './postgres.ts';

export async function setup(project: TestProject) {
  project.provide('postgresTemplate', null);
  const serverUrl = testPostgresUrl;
  if (!serverUrl) return;
  await dropLeftoverDatabases(serverUrl);
  const name = testDatabaseName('template');
  const drop = () => onServer(serverUrl, `drop database if exists ${name}`);
  await drop(); // a leftover of an earlier process that had this pid
  await onServer(serverUrl, `create database ${name}`);
  try {
    project.provide('postgresTemplate', await migrateTemplate(withDatabaseName(serverUrl, name), name));
  } catch (error) {
    await drop();
    throw error;
  }
  // Nothing may connect to it (a copy cannot be made while anyone is connected).
  await onServer(serverUrl, `alter database ${name} with allow_connections false`);
  return drop;
}

async function migrateTemplate(url: string, name: string): Promise<PostgresTemplate> {
  const migrated = connectPostgres({ url, max: 1 });
  await migrated.migrate();
  await migrated.close();
  const sql = connectPlain(url);
  try {
    const seeded = await tablesWithRows(sql, await publicTables(sql));
    if (seeded.length > 0)
      throw new Error(
        `the migrations put rows in ${seeded.join(', ')}: emptying a test database between tests would ` +
          'lose them; test/helpers/database.ts must put them back',
      );
    return { name, fingerprint: await schemaFingerprint(sql) };
  } finally {
    await sql.end();
  }
}
