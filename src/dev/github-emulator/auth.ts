import { createPublicKey, randomInt, verify } from 'node:crypto';
import type { Permission, Permissions } from './store.ts';

// How GitHub authenticates a GitHub App: an RS256 JWT signed with the app's private key for the app's own
// endpoints, and installation tokens (`ghs_…`, one hour) minted with that JWT for everything else.

export type AppSeed = { id: number; slug: string; name?: string; publicKeyPem: string };
export type InstallationSeed = {
  id: number;
  appId: number;
  /** The organization (or user) the app is installed on. */
  account: string;
  /** `owner/name` of each repository the installation may reach. */
  repositories: string[];
  permissions: Permissions;
};
/** A minted installation token as tests see it: never its value. */
export type InstallationToken = {
  id: number;
  installationId: number;
  /** `owner/name` of the repositories the token reaches. */
  repositories: string[];
  permissions: Permissions;
  expiresAt: Date;
  revokedAt: Date | null;
};
type StoredToken = InstallationToken & { value: string };

/** The messages GitHub answers a refused JWT with. */
export const JWT_MESSAGES = {
  undecodable: 'A JSON web token could not be decoded',
  tooFar: "'Expiration time' claim ('exp') is too far in the future",
  expired:
    "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
  issuedLater:
    "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
  issuer: "'Issuer' claim ('iss') must be an Integer",
} as const;
/** GitHub accepts JWTs up to this much out of step with its clock. */
const CLOCK_DRIFT_SECONDS = 60;
const MAX_JWT_LIFETIME_SECONDS = 600;
const TOKEN_LIFETIME_MS = 60 * 60 * 1000;
const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

const decodePart = (part: string): Record<string, unknown> | null => {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};

/** Checks an app JWT as GitHub does: RS256 by the app's key, `iss` the app id, `iat`/`exp` in bounds. */
export function verifyAppJwt({
  jwt,
  apps,
  now,
}: {
  jwt: string;
  apps: AppSeed[];
  now: () => Date;
}): { ok: true; app: AppSeed } | { ok: false; message: string } {
  const [header, payload, signature, ...rest] = jwt.split('.');
  const head = header ? decodePart(header) : null;
  const claims = payload ? decodePart(payload) : null;
  if (!head || !claims || signature === undefined || rest.length > 0 || head.alg !== 'RS256')
    return { ok: false, message: JWT_MESSAGES.undecodable };
  const iss = typeof claims.iss === 'string' && /^\d+$/.test(claims.iss) ? Number(claims.iss) : claims.iss;
  if (typeof iss !== 'number' || !Number.isInteger(iss)) return { ok: false, message: JWT_MESSAGES.issuer };
  const app = apps.find((a) => a.id === iss);
  if (!app) return { ok: false, message: JWT_MESSAGES.undecodable };
  const signed = verify(
    'RSA-SHA256',
    Buffer.from(`${header}.${payload}`),
    createPublicKey(app.publicKeyPem),
    Buffer.from(signature, 'base64url'),
  );
  if (!signed) return { ok: false, message: JWT_MESSAGES.undecodable };
  const { iat, exp } = claims;
  if (typeof iat !== 'number' || !Number.isInteger(iat))
    return { ok: false, message: JWT_MESSAGES.issuedLater };
  if (typeof exp !== 'number' || !Number.isInteger(exp)) return { ok: false, message: JWT_MESSAGES.expired };
  const seconds = Math.floor(now().getTime() / 1000);
  if (iat > seconds + CLOCK_DRIFT_SECONDS) return { ok: false, message: JWT_MESSAGES.issuedLater };
  if (exp <= seconds - CLOCK_DRIFT_SECONDS) return { ok: false, message: JWT_MESSAGES.expired };
  if (exp - iat > MAX_JWT_LIFETIME_SECONDS || exp > seconds + MAX_JWT_LIFETIME_SECONDS + CLOCK_DRIFT_SECONDS)
    return { ok: false, message: JWT_MESSAGES.tooFar };
  return { ok: true, app };
}

/** The installation tokens the fake has minted. */
export function createTokenRegistry({ now }: { now: () => Date }) {
  const tokens: StoredToken[] = [];
  const publicView = ({ value: _value, ...token }: StoredToken): InstallationToken => ({
    ...token,
    repositories: [...token.repositories],
    permissions: { ...token.permissions },
  });

  return {
    mint(grant: Pick<InstallationToken, 'installationId' | 'repositories' | 'permissions'>) {
      let value = 'ghs_';
      for (let i = 0; i < 36; i++) value += TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)];
      const token: StoredToken = {
        ...grant,
        id: tokens.length + 1,
        value,
        expiresAt: new Date(now().getTime() + TOKEN_LIFETIME_MS),
        revokedAt: null,
      };
      tokens.push(token);
      return { value, token: publicView(token) };
    },
    /** The live token with this value, or null (unknown, revoked or expired: GitHub's "Bad credentials"). */
    find(value: string): InstallationToken | null {
      const token = tokens.find((t) => t.value === value);
      if (!token || token.revokedAt || token.expiresAt.getTime() <= now().getTime()) return null;
      return publicView(token);
    },
    revoke(id: number): void {
      const token = tokens.find((t) => t.id === id);
      if (token && !token.revokedAt) token.revokedAt = now();
    },
    list: () => tokens.map(publicView),
  };
}
export type TokenRegistry = ReturnType<typeof createTokenRegistry>;

const LEVEL: Record<Permission, number> = { read: 1, write: 2 };

/** Whether a grant allows `needed` (`write` implies `read`). */
export const allows = (granted: Permission | undefined, needed: Permission) =>
  granted !== undefined && LEVEL[granted] >= LEVEL[needed];
