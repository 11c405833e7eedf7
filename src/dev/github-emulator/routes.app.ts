import { type Answer, failure, notFound, parseBody } from './answers.ts';
import { type AppSeed, allows, type InstallationSeed } from './auth.ts';
import { type Route, repoPath } from './route.ts';
import type { Permissions, StoredRepository } from './store.ts';
import { accessTokenBody } from './validate.ts';
import { nodeId, repositoryView, userView } from './views.ts';

// The app's own endpoints (JWT) and the installation-token lifecycle.

/** When the fake says the app and its installations were created. */
const CREATED_AT = '2026-01-05T09:00:00Z';
const EVENTS = ['deployment', 'issues', 'workflow_run'];

function appView(api: string, app: AppSeed, installations: InstallationSeed[]) {
  const mine = installations.filter((i) => i.appId === app.id);
  const owner = mine[0]?.account ?? 'acme';
  const permissions: Permissions = Object.assign({}, ...mine.map((i) => i.permissions));
  return {
    id: app.id,
    slug: app.slug,
    node_id: nodeId('Integration', app.id),
    client_id: `Iv23li${String(app.id).padStart(14, '0')}`,
    owner: userView(api, owner, 'Organization'),
    name: app.name ?? app.slug,
    description: null,
    external_url: `https://${app.slug}.example`,
    html_url: `https://github.com/apps/${app.slug}`,
    created_at: CREATED_AT,
    updated_at: CREATED_AT,
    permissions,
    events: EVENTS,
    installations_count: mine.length,
  };
}

function installationView(api: string, app: AppSeed, installation: InstallationSeed) {
  const account = userView(api, installation.account, 'Organization');
  return {
    id: installation.id,
    client_id: `Iv23li${String(app.id).padStart(14, '0')}`,
    account,
    repository_selection: 'selected',
    access_tokens_url: `${api}/app/installations/${installation.id}/access_tokens`,
    repositories_url: `${api}/installation/repositories`,
    html_url: `https://github.com/organizations/${installation.account}/settings/installations/${installation.id}`,
    app_id: app.id,
    app_slug: app.slug,
    target_id: account.id,
    target_type: 'Organization',
    permissions: installation.permissions,
    events: EVENTS,
    created_at: CREATED_AT,
    updated_at: CREATED_AT,
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: null,
    suspended_at: null,
  };
}

const NOT_GRANTED = 'The permissions requested are not granted to this installation.';
const NOT_ACCESSIBLE =
  'There is at least one repository that does not exist or is not accessible to the parent installation.';

export const APP_ROUTES: Route[] = [
  {
    method: 'GET',
    pattern: /^\/app$/,
    auth: 'jwt',
    handle: ({ api, app, installations }) => ({ status: 200, body: appView(api, app, installations) }),
  },
  {
    method: 'GET',
    pattern: repoPath('/installation'),
    auth: 'jwt',
    handle: ({ api, app, installations, params: [owner, name] }) => {
      const fullName = `${owner}/${name}`.toLowerCase();
      const installation = installations.find(
        (i) => i.appId === app.id && i.repositories.some((r) => r.toLowerCase() === fullName),
      );
      return installation ? { status: 200, body: installationView(api, app, installation) } : notFound();
    },
  },
  {
    method: 'POST',
    pattern: /^\/app\/installations\/(\d+)\/access_tokens$/,
    auth: 'jwt',
    handle: ({ api, app, installations, store, tokens, body, params: [id] }): Answer => {
      const installation = installations.find((i) => i.id === Number(id) && i.appId === app.id);
      if (!installation) return notFound();
      const request = parseBody(accessTokenBody, body);
      if (!request.ok) return request.answer;
      const { repositories: names, repository_ids: ids, permissions: asked } = request.value;
      const reachable = installation.repositories
        .map((r) => store.repository(r))
        .filter((r): r is StoredRepository => r !== null);
      let chosen = reachable;
      if (names !== undefined || ids !== undefined) {
        const byName = (names ?? []).map((n) =>
          reachable.find((r) => r.name.toLowerCase() === n.toLowerCase()),
        );
        const byId = (ids ?? []).map((n) => reachable.find((r) => r.id === n));
        const found = [...byName, ...byId];
        if (found.some((r) => r === undefined)) return failure(422, NOT_ACCESSIBLE);
        chosen = [...new Set(found as StoredRepository[])];
      }
      if (
        asked &&
        Object.entries(asked).some(([name, level]) => !allows(installation.permissions[name], level))
      )
        return failure(422, NOT_GRANTED);
      // Metadata (read) comes with every token of an installation that has it, as on GitHub.
      const permissions: Permissions = asked
        ? { ...asked, ...(installation.permissions.metadata ? { metadata: 'read' as const } : {}) }
        : { ...installation.permissions };
      const { value, token } = tokens.mint({
        installationId: installation.id,
        repositories: chosen.map((r) => r.fullName),
        permissions,
      });
      const narrowed = names !== undefined || ids !== undefined;
      return {
        status: 201,
        body: {
          token: value,
          expires_at: token.expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          permissions,
          repository_selection: 'selected',
          ...(narrowed ? { repositories: chosen.map((r) => repositoryView(api, r, r.createdAt)) } : {}),
        },
      };
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/installation\/token$/,
    auth: 'token',
    handle: ({ tokens, token }) => {
      tokens.revoke(token.id);
      return { status: 204 };
    },
  },
];
