import type { ConnectionSpec, SecretSource } from '../catalog/catalog.schemas.ts';

/** Jira Cloud with the service account's scoped token read; only the Jira client ever holds one. */
export type JiraConnection = {
  name: string;
  kind: 'jira';
  /** `https://api.atlassian.com/ex/jira/{cloudId}`, no trailing slash. */
  url: string;
  /** The site people open, such as `https://acme.atlassian.net`, no trailing slash. */
  site: string;
  email: string;
  token: string;
};

/** The Jira connection of a catalog entry, once its token was read (null: it could not be). */
export function resolveJiraConnection({
  name,
  spec,
  read,
}: {
  name: string;
  spec: Extract<ConnectionSpec, { kind: 'jira' }>;
  read: (source: SecretSource, what: string) => string | null;
}): JiraConnection | null {
  const token = read(spec.token, 'API token');
  if (token === null) return null;
  return {
    name,
    kind: 'jira',
    url: spec.url.replace(/\/+$/, ''),
    site: spec.site.replace(/\/+$/, ''),
    email: spec.email,
    token,
  };
}
