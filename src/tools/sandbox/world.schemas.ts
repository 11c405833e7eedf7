import { z } from 'zod';

/** The environments a sandbox world can describe. */
export const WORLD_ENVIRONMENTS = ['staging', 'production'] as const;
export type WorldEnvironment = (typeof WORLD_ENVIRONMENTS)[number];

export const SEVERITIES = ['sev1', 'sev2', 'sev3', 'sev4'] as const;
export const INCIDENT_STATUSES = ['open', 'investigating', 'mitigated', 'resolved'] as const;
export const POD_STATUSES = ['Running', 'Pending', 'CrashLoopBackOff', 'Error'] as const;
export const HEALTH_STATES = ['healthy', 'degraded', 'down'] as const;
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export const serviceNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be a service name: lower-case letters, digits or -');
export const versionSchema = z
  .string()
  .max(64)
  .regex(/^v\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/, 'must be a version such as v2.14.0');
export const incidentIdSchema = z
  .string()
  .regex(/^[A-Z][A-Z0-9]{0,15}-\d{1,9}$/, 'must be an incident id such as INC-123');

const RELATIVE_TIME = /^-(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A moment in a world file: an ISO timestamp with offset, or `-25m` (that long before the seed time). */
export const worldTimeSchema = z
  .string()
  .refine(
    (text) => RELATIVE_TIME.test(text) || z.iso.datetime({ offset: true }).safeParse(text).success,
    'must be an ISO timestamp such as 2026-11-24T08:30:00Z or a time before seeding such as -25m',
  );

/** Resolves a world time against the moment the world is seeded. */
export function resolveWorldTime({ value, now }: { value: string; now: Date }): Date {
  const match = RELATIVE_TIME.exec(value);
  if (!match) return new Date(value);
  const unit = match[2] as keyof typeof UNIT_MS;
  return new Date(now.getTime() - Number(match[1]) * UNIT_MS[unit]);
}

const environmentNameSchema = z.enum(WORLD_ENVIRONMENTS);
const textSchema = (max: number) => z.string().min(1).max(max);

export const incidentSchema = z.strictObject({
  id: incidentIdSchema,
  title: textSchema(200),
  description: textSchema(4_000),
  severity: z.enum(SEVERITIES),
  status: z.enum(INCIDENT_STATUSES),
  service: serviceNameSchema,
  environment: environmentNameSchema,
  opened_at: worldTimeSchema,
});

export const podSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,252}$/, 'must be a pod name'),
  status: z.enum(POD_STATUSES),
  restarts: z.number().int().min(0),
});

export const serviceSchema = z.strictObject({
  name: serviceNameSchema,
  version: versionSchema,
  replicas: z.number().int().min(0).max(50),
  pods: z.array(podSchema).max(50),
  health: z.enum(HEALTH_STATES),
  error_rate: z.number().min(0).max(1),
  latency_p99_ms: z.number().int().min(0).max(600_000),
});

export const environmentSchema = z.strictObject({
  services: z.array(serviceSchema).max(100),
});

export const deploySchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'must be a deploy id such as dep-1001'),
  environment: environmentNameSchema,
  service: serviceNameSchema,
  version: versionSchema,
  previous_version: versionSchema.nullable().default(null),
  deployed_by: textSchema(100),
  deployed_at: worldTimeSchema,
  status: z.enum(['deployed', 'rolled_back']).default('deployed'),
  /** Ground truth the tools act on: pods of a faulty version crash again after a restart. */
  faulty: z.boolean().default(false),
});

export const logSchema = z.strictObject({
  environment: environmentNameSchema,
  service: serviceNameSchema,
  at: worldTimeSchema,
  level: z.enum(LOG_LEVELS),
  message: textSchema(4_000),
});

export const ticketSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'must be a ticket id such as TKT-1'),
  title: textSchema(200),
  body: textSchema(10_000),
  severity: z.enum(SEVERITIES),
  incident_id: incidentIdSchema.nullable().default(null),
  environment: environmentNameSchema,
  created_by: textSchema(100),
  created_at: worldTimeSchema,
});

/** A sandbox world file: the simulated infrastructure the sandbox tools read and change. */
export const worldSchema = z
  .strictObject({
    incidents: z.array(incidentSchema).max(1_000).default([]),
    environments: z.strictObject({
      staging: environmentSchema.optional(),
      production: environmentSchema.optional(),
    }),
    deploys: z.array(deploySchema).max(10_000).default([]),
    logs: z.array(logSchema).max(100_000).default([]),
    tickets: z.array(ticketSchema).max(10_000).default([]),
  })
  .superRefine((world, ctx) => checkReferences({ world, ctx }));

export type World = z.infer<typeof worldSchema>;
export type WorldIncident = z.infer<typeof incidentSchema>;
export type WorldService = z.infer<typeof serviceSchema>;
export type WorldDeploy = z.infer<typeof deploySchema>;
export type WorldLog = z.infer<typeof logSchema>;
export type WorldTicket = z.infer<typeof ticketSchema>;

type RefineContext = z.core.$RefinementCtx<World>;

function checkReferences({ world, ctx }: { world: World; ctx: RefineContext }): void {
  const services = new Set<string>();
  for (const env of WORLD_ENVIRONMENTS) {
    world.environments[env]?.services.forEach((service, i) => {
      const path = ['environments', env, 'services', i];
      const key = `${env}/${service.name}`;
      if (services.has(key))
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'name'],
          message: `repeats service "${service.name}"`,
        });
      services.add(key);
      if (service.pods.length !== service.replicas)
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'pods'],
          message: `lists ${service.pods.length} pods but replicas is ${service.replicas}`,
        });
      const pods = new Set<string>();
      service.pods.forEach((pod, p) => {
        if (pods.has(pod.name))
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'pods', p, 'name'],
            message: `repeats pod "${pod.name}"`,
          });
        pods.add(pod.name);
      });
    });
  }
  const unknownService = (env: string, service: string) =>
    services.has(`${env}/${service}`)
      ? null
      : `names service "${service}", which is not under environments.${env}`;

  const refs: { list: { environment: string; service: string }[]; name: string }[] = [
    { list: world.incidents, name: 'incidents' },
    { list: world.deploys, name: 'deploys' },
    { list: world.logs, name: 'logs' },
  ];
  for (const { list, name } of refs)
    list.forEach((item, i) => {
      const problem = unknownService(item.environment, item.service);
      if (problem) ctx.addIssue({ code: 'custom', path: [name, i, 'service'], message: problem });
    });

  const incidentIds = checkUnique({ ctx, name: 'incidents', ids: world.incidents.map((i) => i.id) });
  checkUnique({ ctx, name: 'deploys', ids: world.deploys.map((d) => d.id) });
  checkUnique({ ctx, name: 'tickets', ids: world.tickets.map((t) => t.id) });
  world.tickets.forEach((ticket, i) => {
    if (ticket.incident_id !== null && !incidentIds.has(ticket.incident_id))
      ctx.addIssue({
        code: 'custom',
        path: ['tickets', i, 'incident_id'],
        message: `names incident "${ticket.incident_id}", which is not under incidents`,
      });
  });
}

function checkUnique({ ctx, name, ids }: { ctx: RefineContext; name: string; ids: string[] }): Set<string> {
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [name, i, 'id'], message: `repeats id "${id}"` });
    seen.add(id);
  });
  return seen;
}
