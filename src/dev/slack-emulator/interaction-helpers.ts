import type { Json, JsonObject, StoredView, ViewOutcome, Workspace } from './emulator.types.ts';
import { renderView } from './methods/views.methods.ts';
import { isJsonObject } from './params.ts';
import { newViewId } from './slack-ids.ts';
import type { EmulatorStore } from './store.ts';
import { findViewProblems } from './validate-blocks.ts';

type FoundButton = { button: JsonObject; blockId: string };

function buttonsIn(blocks: JsonObject[]): FoundButton[] {
  const found: FoundButton[] = [];
  for (const block of blocks) {
    const blockId = typeof block.block_id === 'string' ? block.block_id : '';
    const candidates: Json[] = Array.isArray(block.elements) ? [...block.elements] : [];
    if (block.accessory !== undefined) candidates.push(block.accessory);
    for (const element of candidates) {
      if (isJsonObject(element) && element.type === 'button') found.push({ button: element, blockId });
    }
  }
  return found;
}

/** The button a click would hit: same action_id, and same value when one is given. */
export function findButton({
  blocks,
  actionId,
  value,
}: {
  blocks: JsonObject[];
  actionId: string;
  value?: string;
}): FoundButton | undefined {
  return buttonsIn(blocks).find(
    ({ button }) => button.action_id === actionId && (value === undefined || button.value === value),
  );
}

/** `approve (prp_1), reject (prp_1)`: the buttons a message has, for error messages. */
export function listButtons(blocks: JsonObject[]): string {
  return buttonsIn(blocks)
    .map(
      ({ button }) =>
        `${String(button.action_id)}${button.value === undefined ? '' : ` (${String(button.value)})`}`,
    )
    .join(', ');
}

/**
 * `state.values` for a view submission: every input block of the view, with the typed text or null.
 * Values for inputs the view does not have are a test mistake and throw.
 */
export function collectStateValues({
  view,
  values,
}: {
  view: JsonObject;
  values: Record<string, Record<string, string>>;
}): Record<string, Record<string, Json>> {
  const state: Record<string, Record<string, Json>> = {};
  const blocks = Array.isArray(view.blocks) ? view.blocks.filter(isJsonObject) : [];
  for (const block of blocks) {
    if (block.type !== 'input' || !isJsonObject(block.element) || typeof block.block_id !== 'string')
      continue;
    const actionId = String(block.element.action_id);
    state[block.block_id] = {
      [actionId]: {
        type: block.element.type ?? 'plain_text_input',
        value: values[block.block_id]?.[actionId] ?? null,
      },
    };
  }
  for (const [blockId, actions] of Object.entries(values)) {
    for (const actionId of Object.keys(actions)) {
      if (state[blockId]?.[actionId] === undefined) {
        const inputs = Object.entries(state).flatMap(([b, a]) => Object.keys(a).map((k) => `${b}.${k}`));
        throw new Error(
          `slack emulator: the modal has no input ${blockId}.${actionId}; it has: ${inputs.join(', ') || 'none'}`,
        );
      }
    }
  }
  return state;
}

/** What Slack does with the app's answer to a view submission (close, errors, update, push, clear). */
export function applyViewAnswer({
  store,
  workspace,
  open,
  answer,
  clock,
}: {
  store: EmulatorStore;
  workspace: Workspace;
  open: StoredView;
  answer: JsonObject;
  clock: () => number;
}): { outcome: Exclude<ViewOutcome, 'kept'> } {
  const action = answer.response_action;
  if (action === undefined) {
    store.closeView(open.user, open.id);
    return { outcome: 'closed' };
  }
  if (action === 'clear') {
    store.closeView(open.user, open.id, { all: true });
    return { outcome: 'cleared' };
  }
  if (action === 'errors') return { outcome: 'kept_with_errors' };
  if (action !== 'update' && action !== 'push') {
    throw new Error(`slack emulator: unknown response_action ${String(action)}`);
  }
  const problems = findViewProblems({ view: answer.view, expect: 'modal' });
  if (problems.length > 0 || !isJsonObject(answer.view)) {
    const listed = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
    throw new Error(`slack emulator: invalid view in response_action ${action}: ${listed}`);
  }
  const live = store.findOpenView(open.id);
  if (action === 'update' && live) {
    const rootViewId = typeof live.view.root_view_id === 'string' ? live.view.root_view_id : live.id;
    store.replaceView(live, renderView({ id: live.id, view: answer.view, workspace, rootViewId }));
    return { outcome: 'updated' };
  }
  const id = newViewId();
  const view = renderView({ id, view: answer.view, workspace, rootViewId: open.id, previousViewId: open.id });
  store.openView({ id, user: open.user, view, openedAt: clock(), triggerId: null }, { push: true });
  return { outcome: 'pushed' };
}
