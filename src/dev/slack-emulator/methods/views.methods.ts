import type { JsonObject, StoredView, Workspace } from '../emulator.types.ts';
import { isJsonObject, type Params, readJson, readString } from '../params.ts';
import { newViewHash, newViewId } from '../slack-ids.ts';
import { withSlackIds } from '../slack-render.ts';
import type { EmulatorStore } from '../store.ts';
import { findViewProblems } from '../validate-blocks.ts';
import { invalidBlocks } from './message-args.ts';
import { type MethodContext, type MethodHandler, slackError } from './method.types.ts';

/** Slack's trigger_id lifetime: 3 seconds from the payload that carried it. */
export const TRIGGER_LIFETIME_MS = 3_000;

type ViewArg = { ok: true; view: JsonObject } | { ok: false; answer: JsonObject };

function readView(params: Params, expect: 'modal' | 'home'): ViewArg {
  const arg = readJson(params, 'view');
  if (!arg.present || 'invalid' in arg || !isJsonObject(arg.value)) {
    return {
      ok: false,
      answer: slackError('invalid_arguments', {
        response_metadata: { messages: ['[ERROR] invalid `view`'] },
      }),
    };
  }
  const problems = findViewProblems({ view: arg.value, expect });
  if (problems.length > 0) return { ok: false, answer: invalidBlocks('invalid_arguments', problems) };
  return { ok: true, view: arg.value };
}

/** The view object Slack stores and returns: the app's fields plus id, state, hash and ids. */
export function renderView({
  id,
  view,
  workspace,
  rootViewId,
  previousViewId = null,
}: {
  id: string;
  view: JsonObject;
  workspace: Workspace;
  rootViewId?: string;
  previousViewId?: string | null;
}): JsonObject {
  const blocks = Array.isArray(view.blocks) ? withSlackIds(view.blocks.filter(isJsonObject)) : [];
  return {
    private_metadata: '',
    callback_id: '',
    external_id: '',
    clear_on_close: false,
    notify_on_close: false,
    ...view,
    id,
    team_id: workspace.teamId,
    blocks,
    state: { values: {} },
    hash: newViewHash(),
    previous_view_id: previousViewId,
    root_view_id: rootViewId ?? id,
    app_id: workspace.appId,
    app_installed_team_id: workspace.teamId,
    bot_id: workspace.botId,
  };
}

type TriggerCheck = { ok: true; user: string } | { ok: false; answer: JsonObject };

/** A trigger works once, within 3 s by the emulator clock; unknown ones count as expired. */
function exchangeTrigger(store: EmulatorStore, triggerId: string | undefined, now: number): TriggerCheck {
  const trigger = triggerId === undefined ? undefined : store.findTrigger(triggerId);
  if (!trigger || now - trigger.issuedAt > TRIGGER_LIFETIME_MS) {
    return { ok: false, answer: slackError('expired_trigger_id') };
  }
  if (trigger.used) return { ok: false, answer: slackError('exchanged_trigger_id') };
  trigger.used = true;
  return { ok: true, user: trigger.user };
}

function openModal(
  { params, workspace, store, clock }: MethodContext,
  { push }: { push: boolean },
): JsonObject {
  const arg = readView(params, 'modal');
  if (!arg.ok) return arg.answer;
  const triggerId = readString(params, 'trigger_id');
  const trigger = exchangeTrigger(store, triggerId, clock());
  if (!trigger.ok) return trigger.answer;
  const below = push ? store.currentView(trigger.user) : undefined;
  const id = newViewId();
  const view = renderView({
    id,
    view: arg.view,
    workspace,
    rootViewId: below?.id,
    previousViewId: below?.id ?? null,
  });
  const stored: StoredView = {
    id,
    user: trigger.user,
    view,
    openedAt: clock(),
    triggerId: triggerId ?? null,
  };
  store.openView(stored, { push });
  return { ok: true, view };
}

/** views.open: opens a modal for the user whose interaction carried the trigger_id. */
export const viewsOpen: MethodHandler = (context) => openModal(context, { push: false });

/** views.push: stacks a modal on the user's open one. */
export const viewsPush: MethodHandler = (context) => openModal(context, { push: true });

/** views.update: replaces an open modal by view_id (or external_id), honouring `hash`. */
export const viewsUpdate: MethodHandler = ({ params, workspace, store }) => {
  const viewId = readString(params, 'view_id');
  const externalId = readString(params, 'external_id');
  const stored =
    viewId !== undefined
      ? store.findOpenView(viewId)
      : store.listOpenViews().find((v) => externalId !== undefined && v.view.external_id === externalId);
  if (!stored) return slackError('not_found');
  const live = store.findOpenView(stored.id);
  if (!live) return slackError('not_found');
  const hash = readString(params, 'hash');
  if (hash !== undefined && hash !== live.view.hash) return slackError('hash_conflict');
  const arg = readView(params, 'modal');
  if (!arg.ok) return arg.answer;
  const view = renderView({
    id: live.id,
    view: arg.view,
    workspace,
    rootViewId: String(live.view.root_view_id ?? live.id),
    previousViewId: typeof live.view.previous_view_id === 'string' ? live.view.previous_view_id : null,
  });
  store.replaceView(live, view);
  return { ok: true, view };
};

/** views.publish: the App Home tab for one user. */
export const viewsPublish: MethodHandler = ({ params, workspace, store, clock }) => {
  const user = workspace.users.find((u) => u.id === readString(params, 'user_id'));
  if (!user) return slackError('user_not_found');
  const arg = readView(params, 'home');
  if (!arg.ok) return arg.answer;
  const id = store.homeView(user.id)?.id ?? newViewId();
  const view = renderView({ id, view: arg.view, workspace });
  store.publishHome({ id, user: user.id, view, openedAt: clock(), triggerId: null });
  return { ok: true, view };
};
