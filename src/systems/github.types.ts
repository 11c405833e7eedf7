import { createPrivateKey } from 'node:crypto';
import type { ConnectionSpec, SecretSource } from '../catalog/catalog.schemas.ts';

/** A GitHub App with its private key read; only the GitHub access of `github.access.ts` holds one. */
export type GitHubConnection = {
  name: string;
  kind: 'github';
  /** The REST API's base URL, no trailing slash (`https://api.github.com`). */
  url: string;
  appId: number;
  privateKey: string;
  /** The App's installation on the repositories' owner; null: looked up per repository. */
  installationId: number | null;
};

/** The GitHub connection of a catalog entry, once its key was read and parsed (null: it could not be). */
export function resolveGitHubConnection({
  name,
  spec,
  read,
  problems,
}: {
  name: string;
  spec: Extract<ConnectionSpec, { kind: 'github' }>;
  read: (source: SecretSource, what: string) => string | null;
  problems: { connection: string; message: string }[];
}): GitHubConnection | null {
  const privateKey = read(spec.private_key, 'App private key');
  if (privateKey === null) return null;
  try {
    const key = createPrivateKey(privateKey);
    if (key.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
  } catch {
    problems.push({
      connection: name,
      message: `${name}: the App private key is not an RSA private key in PEM (download it again from the App's settings)`,
    });
    return null;
  }
  return {
    name,
    kind: 'github',
    url: spec.url.replace(/\/+$/, ''),
    appId: spec.app_id,
    privateKey,
    installationId: spec.installation_id ?? null,
  };
}
