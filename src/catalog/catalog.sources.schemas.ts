import { z } from 'zod';

// Where a catalog's secrets come from and how an HTTP system authenticates: shared by every connection kind.

/** A variable's name. A value that is not one may be the secret pasted in: refused without echoing it. */
const envVariableName = z.string().check((ctx) => {
  if (!/^[A-Z_][A-Z0-9_]{0,127}$/.test(ctx.value))
    ctx.issues.push({
      code: 'custom',
      input: undefined,
      message:
        'must be an environment variable name such as WARDEN_PROM_TOKEN (the secret itself never goes in the catalog)',
    });
});

/** Where a secret comes from: an environment variable or a mounted file, never the YAML itself. */
const secretSourceShape = z.union([
  z.strictObject({ env: envVariableName }),
  z.strictObject({ file: z.string().startsWith('/', 'must be an absolute path') }),
]);
/** Anything but a mapping is refused without echoing it: it may be the secret itself, pasted in. */
export const secretSourceSchema = z
  .unknown()
  .check((ctx) => {
    const v = ctx.value;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      ctx.issues.push({
        code: 'custom',
        input: undefined,
        message:
          'must say where the secret comes from, { env: VARIABLE } or { file: /path }, never the secret itself',
      });
    }
  })
  .pipe(secretSourceShape);
export type SecretSource = z.infer<typeof secretSourceSchema>;

export const url = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

export const httpAuthSchema = z.union([
  z.strictObject({ bearer: secretSourceSchema }),
  z.strictObject({ basic: z.strictObject({ username: z.string().min(1), password: secretSourceSchema }) }),
]);
