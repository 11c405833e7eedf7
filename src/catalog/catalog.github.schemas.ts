import { z } from 'zod';
import { secretSourceSchema, url } from './catalog.sources.schemas.ts';

const name = z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must be lower-case letters, digits, - or _');

/**
 * A GitHub App (`url` defaults to https://api.github.com; GitHub Enterprise Server: `https://HOST/api/v3`).
 * Warden holds the App's private key and mints, for each approved call, an installation token narrowed to
 * the one repository and the permissions the tool needs; the key itself never signs anything but the
 * App's own short JWT. Without `installation_id` the installation is looked up per repository.
 */
export const githubConnectionSchema = z.strictObject({
  kind: z.literal('github'),
  url: url.default('https://api.github.com'),
  app_id: z.number().int().positive(),
  private_key: secretSourceSchema,
  installation_id: z.number().int().positive().optional(),
});

/** A workflow input name as GitHub accepts it. */
const inputName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,99}$/, 'must be a workflow input name');

/**
 * The repository of a service here. Every GitHub tool is confined to it: its token is minted for this
 * repository alone. `rollback_workflow` is the repository's own workflow a rollback dispatches, with the
 * inputs the tool may set (their values bounded by the charter's constraints on `inputs.<name>`) and the
 * input that carries the proposal's idempotency key, which the workflow's `run-name` must show.
 */
export const githubEnvironmentSchema = z.strictObject({
  connection: name,
  repository: z
    .string()
    .regex(
      /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/,
      'must be owner/name, such as acme/checkout',
    ),
  /** The GitHub deployment environment of this Warden environment (default: the same name). */
  deployment_environment: z.string().min(1).max(255).optional(),
  rollback_workflow: z
    .strictObject({
      file: z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,100}\.ya?ml$/, 'must be a workflow file name such as rollback.yml'),
      ref: z.string().min(1).max(255).default('main'),
      inputs: z.array(inputName).max(20).default([]),
      key_input: inputName.default('warden_key'),
    })
    .optional(),
});
export type GitHubEnvironmentSpec = z.infer<typeof githubEnvironmentSchema>;
