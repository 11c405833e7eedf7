import {
  bigserial,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

/** Simulated infrastructure, seeded from a YAML world file. Sandbox write tools really change these rows. */
export const sandboxIncidents = pgTable('sandbox_incidents', {
  id: text('id').primaryKey(),
  title: text('title').notNull(),
  description: text('description').notNull(),
  severity: text('severity').notNull(),
  status: text('status').notNull(),
  service: text('service').notNull(),
  environment: text('environment').notNull(),
  openedAt: timestamp('opened_at', { withTimezone: true, mode: 'date' }).notNull(),
});

export type SandboxPod = { name: string; status: string; restarts: number };

export const sandboxServices = pgTable(
  'sandbox_services',
  {
    environment: text('environment').notNull(),
    name: text('name').notNull(),
    version: text('version').notNull(),
    replicas: integer('replicas').notNull(),
    pods: jsonb('pods').$type<SandboxPod[]>().notNull(),
    /** healthy | degraded | down */
    health: text('health').notNull(),
    errorRate: real('error_rate').notNull(),
    latencyP99Ms: integer('latency_p99_ms').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.environment, t.name] })],
);

export const sandboxDeploys = pgTable(
  'sandbox_deploys',
  {
    id: text('id').primaryKey(),
    environment: text('environment').notNull(),
    service: text('service').notNull(),
    version: text('version').notNull(),
    previousVersion: text('previous_version'),
    deployedBy: text('deployed_by').notNull(),
    deployedAt: timestamp('deployed_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** deployed | rolled_back */
    status: text('status').notNull(),
  },
  (t) => [index('sandbox_deploys_service_idx').on(t.environment, t.service, t.deployedAt)],
);

export const sandboxLogs = pgTable(
  'sandbox_logs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    environment: text('environment').notNull(),
    service: text('service').notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    level: text('level').notNull(),
    message: text('message').notNull(),
  },
  (t) => [index('sandbox_logs_service_idx').on(t.environment, t.service, t.at)],
);

export const sandboxTickets = pgTable('sandbox_tickets', {
  id: text('id').primaryKey(),
  title: text('title').notNull(),
  body: text('body').notNull(),
  severity: text('severity').notNull(),
  incidentId: text('incident_id'),
  environment: text('environment').notNull(),
  createdBy: text('created_by').notNull(),
  idempotencyKey: text('idempotency_key').unique(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
});

/** Every change a sandbox write tool made, keyed by the idempotency key it was given. */
export const sandboxChanges = pgTable('sandbox_changes', {
  idempotencyKey: text('idempotency_key').primaryKey(),
  tool: text('tool').notNull(),
  environment: text('environment').notNull(),
  result: jsonb('result').$type<unknown>().notNull(),
  at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
});
