import type { AccessRule, Caller, EmulatorIdentity } from './emulator.types.ts';
import type { ClusterStore } from './store.ts';
import type { TokenIssuer } from './tokens.ts';

/** What a request asks to do, as the authorizer sees it. */
export type RequestAttributes = {
  verb: string;
  resource: string;
  subresource: string | null;
  namespace: string;
  /** Empty for list and for create without a name. */
  name: string;
};

const serviceAccountUser = (namespace: string, name: string) => `system:serviceaccount:${namespace}:${name}`;

/**
 * Authentication and RBAC over the configured identities. A static token is its user; a TokenRequest
 * token is its service account while it has not expired, names one of the API audiences, and the service
 * account and bound object still exist with the uids it was issued for — the checks the API server's
 * service-account authenticator makes on every request.
 */
export function createAccess({
  identities,
  store,
  tokens,
  clock,
  apiAudiences,
}: {
  identities: EmulatorIdentity[];
  store: ClusterStore;
  tokens: TokenIssuer;
  clock: () => number;
  apiAudiences: string[];
}) {
  const rulesByUser = new Map<string, AccessRule[]>();
  const staticTokens = new Map<string, string>();
  for (const identity of identities) {
    const user =
      'token' in identity
        ? identity.user
        : serviceAccountUser(identity.serviceAccount.namespace, identity.serviceAccount.name);
    if ('token' in identity) staticTokens.set(identity.token, user);
    rulesByUser.set(user, [...(rulesByUser.get(user) ?? []), ...identity.rules]);
  }

  function authenticateIssued(token: string): Caller | null {
    const claims = tokens.verify(token);
    if (!claims) return null;
    if (claims.exp * 1000 <= clock()) return null;
    if (!claims.aud.some((a) => apiAudiences.includes(a))) return null;
    const { namespace, serviceaccount, secret, pod } = claims['kubernetes.io'];
    const account = store.get('ServiceAccount', namespace, serviceaccount.name);
    if (account?.metadata?.uid !== serviceaccount.uid) return null;
    if (secret && store.get('Secret', namespace, secret.name)?.metadata?.uid !== secret.uid) return null;
    if (pod && store.get('Pod', namespace, pod.name)?.metadata?.uid !== pod.uid) return null;
    return { user: claims.sub };
  }

  return {
    /** The caller for an `Authorization` header, or null (the server answers 401). */
    authenticate(header: string | undefined): Caller | null {
      const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
      const token = match?.[1];
      if (!token) return null;
      const user = staticTokens.get(token);
      return user === undefined ? authenticateIssued(token) : { user };
    },
    /** Whether any of the caller's rules allows the request (RBAC only ever allows). */
    authorize(caller: Caller, request: RequestAttributes): boolean {
      const resource = request.subresource ? `${request.resource}/${request.subresource}` : request.resource;
      return (rulesByUser.get(caller.user) ?? []).some((rule) => {
        const verbOk = rule.verbs.includes('*') || rule.verbs.includes(request.verb);
        const resourceOk =
          rule.resources.includes('*') ||
          rule.resources.includes(resource) ||
          (request.subresource !== null && rule.resources.includes(`*/${request.subresource}`));
        const namespaceOk = rule.namespaces.includes('*') || rule.namespaces.includes(request.namespace);
        const nameOk =
          rule.resourceNames === undefined ||
          rule.resourceNames.length === 0 ||
          (request.name !== '' && rule.resourceNames.includes(request.name));
        return verbOk && resourceOk && namespaceOk && nameOk;
      });
    },
  };
}
export type Access = ReturnType<typeof createAccess>;
