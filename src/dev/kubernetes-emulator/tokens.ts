import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/** The object a token is bound to; the token stops working when it is gone or re-created. */
export type BoundObject = { kind: 'Secret' | 'Pod'; name: string; uid: string };

/** The claims of a service-account token, as the API server's `kubernetes.io` claim lays them out. */
export type TokenClaims = {
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  iss: string;
  jti: string;
  sub: string;
  'kubernetes.io': {
    namespace: string;
    serviceaccount: { name: string; uid: string };
    secret?: { name: string; uid: string };
    pod?: { name: string; uid: string };
  };
};

export const DEFAULT_API_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';

const base64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

/**
 * Issues TokenRequest tokens: JWTs with the real claim layout, signed with a key only this emulator
 * holds (HS256 where the real server uses RS256: nobody outside needs to verify them). Only tokens this
 * issuer signed are recognised; whether one still authenticates is the authenticator's call.
 */
export function createTokenIssuer({ clock }: { clock: () => number }) {
  const key = randomBytes(32);
  const sign = (data: string) => createHmac('sha256', key).update(data).digest();
  const issued: TokenClaims[] = [];

  return {
    issue({
      namespace,
      serviceAccount,
      audiences,
      expirationSeconds,
      bound,
    }: {
      namespace: string;
      serviceAccount: { name: string; uid: string };
      audiences: string[];
      expirationSeconds: number;
      bound: BoundObject | null;
    }): { token: string; claims: TokenClaims } {
      const now = Math.floor(clock() / 1000);
      const claims: TokenClaims = {
        aud: audiences,
        exp: now + expirationSeconds,
        iat: now,
        nbf: now,
        iss: DEFAULT_API_AUDIENCE,
        jti: randomUUID(),
        sub: `system:serviceaccount:${namespace}:${serviceAccount.name}`,
        'kubernetes.io': {
          namespace,
          serviceaccount: serviceAccount,
          ...(bound?.kind === 'Secret' ? { secret: { name: bound.name, uid: bound.uid } } : {}),
          ...(bound?.kind === 'Pod' ? { pod: { name: bound.name, uid: bound.uid } } : {}),
        },
      };
      issued.push(claims);
      const unsigned = `${base64url(JSON.stringify({ alg: 'HS256', kid: 'kubernetes-emulator' }))}.${base64url(JSON.stringify(claims))}`;
      return { token: `${unsigned}.${base64url(sign(unsigned))}`, claims };
    },
    /** The claims of every token issued so far, oldest first. */
    issued: (): TokenClaims[] => structuredClone(issued),
    /** The claims of a token this issuer signed, or undefined for anything else (forged, malformed). */
    verify(token: string): TokenClaims | undefined {
      const [header, payload, signature] = token.split('.');
      if (!header || !payload || !signature) return undefined;
      const expected = sign(`${header}.${payload}`);
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
    },
  };
}
export type TokenIssuer = ReturnType<typeof createTokenIssuer>;
