// The local console's page script: keeps the server-rendered channel current (Server-Sent Events, with
// polling as the fallback), sends what the person does to the console API, and fills the side panel.
// Message HTML comes escaped from the server; everything this script writes itself uses textContent.

import { $, askConfirm, getJson, localTimes, postJson, replaceKeepingScroll, toast } from './dom.js';
import { renderControls, renderRun } from './panel.js';

const config = JSON.parse(document.getElementById('console-config').textContent);
const names = new Map(config.people.map((p) => [p.id, p.name]));
const state = {
  channel: config.initial.channel,
  as:
    new URLSearchParams(location.search).get('as') ||
    localStorage.getItem('warden.console.as') ||
    config.initial.as,
  thread: config.initial.thread,
  modalId: null,
  dismissed: new Set(),
};
if (!names.has(state.as)) state.as = config.initial.as;

const who = (id) => (names.has(id) ? `@${names.get(id)}` : id);

function query(extra = {}) {
  const params = new URLSearchParams({ channel: state.channel, as: state.as, ...extra });
  if (state.thread) params.set('thread', state.thread);
  return params.toString();
}

function syncUrl() {
  history.replaceState(null, '', `/?${query()}`);
}

function showChrome() {
  const channel = config.channels.find((c) => c.id === state.channel);
  $('channel-title').textContent = `#${channel ? channel.name : state.channel}`;
  $('channel-topic').textContent = channel?.topic ?? '';
  $('thread-sub').textContent = `#${channel ? channel.name : ''}`;
  $('composer-input').placeholder = `Message #${channel ? channel.name : ''} — try /agent triage INC-123`;
  document.title = `#${channel ? channel.name : ''} · Warden (local)`;
  for (const link of document.querySelectorAll('.channel-link')) {
    link.classList.toggle('active', link.dataset.channel === state.channel);
  }
  for (const person of document.querySelectorAll('.person')) {
    person.classList.toggle('active', person.dataset.user === state.as);
  }
  const me = config.people.find((p) => p.id === state.as);
  $('me-name').textContent = me ? me.realName : state.as;
  $('thread').hidden = !state.thread;
  document.body.classList.toggle('with-thread', Boolean(state.thread));
}

let viewBusy = false;
let viewAgain = false;
// A jump to the newest message asked for while a refresh was running is kept for the next one.
let jumpPending = false;
async function refreshView({ toBottom = false } = {}) {
  jumpPending ||= toBottom;
  if (viewBusy) {
    viewAgain = true;
    return;
  }
  viewBusy = true;
  try {
    const view = await getJson(`/console/api/view?${query()}`);
    const jump = jumpPending;
    jumpPending = false;
    replaceKeepingScroll($('messages'), view.channelHtml, { toBottom: jump });
    if (state.thread && view.threadHtml !== null)
      replaceKeepingScroll($('thread-messages'), view.threadHtml, { toBottom: jump });
    showModal(view.modalHtml, view.modalId);
    document.body.dataset.ready = 'true';
  } catch (error) {
    toast(`Could not refresh: ${error.message}`);
  } finally {
    viewBusy = false;
    if (viewAgain) {
      viewAgain = false;
      void refreshView();
    }
  }
}

function showModal(html, id) {
  const root = $('modal-root');
  if (!html || state.dismissed.has(id)) {
    root.innerHTML = '';
    state.modalId = null;
    return;
  }
  if (state.modalId === id && root.firstChild) return; // keep what the person is typing
  root.innerHTML = html;
  state.modalId = id;
  const first = root.querySelector('.b-input-field');
  if (first) first.focus();
}

let panelBusy = false;
let panelAgain = false;
async function refreshPanel() {
  if (panelBusy) {
    panelAgain = true;
    return;
  }
  panelBusy = true;
  try {
    const [run, controls] = await Promise.all([
      getJson(`/console/api/run?${query()}`),
      getJson('/console/api/controls'),
    ]);
    renderRun(run, { who, threadOpen: Boolean(state.thread) });
    renderControls(controls, { who });
  } catch (error) {
    toast(`Could not read the audit trail: ${error.message}`);
  } finally {
    panelBusy = false;
    if (panelAgain) {
      panelAgain = false;
      void refreshPanel();
    }
  }
}

let pending;
function scheduleRefresh() {
  clearTimeout(pending);
  pending = setTimeout(() => {
    void refreshView();
    void refreshPanel();
  }, 50);
}

let pollTimer = null;
function startPolling() {
  pollTimer ??= setInterval(scheduleRefresh, 1500);
}
function stopPolling() {
  clearInterval(pollTimer);
  pollTimer = null;
}
function connect() {
  if (!('EventSource' in window)) return startPolling();
  const source = new EventSource('/console/api/stream');
  source.addEventListener('ready', () => {
    stopPolling();
    $('live').classList.remove('off');
    scheduleRefresh();
  });
  source.addEventListener('change', scheduleRefresh);
  source.onerror = () => {
    $('live').classList.add('off');
    startPolling();
  };
}

async function clickButton(button) {
  const message = button.closest('.msg');
  if (!message) return;
  if (button.dataset.confirm && !(await askConfirm(JSON.parse(button.dataset.confirm)))) return;
  button.disabled = true;
  await postJson('/console/api/click', {
    as: state.as,
    channel: message.dataset.channel,
    ts: message.dataset.ts,
    actionId: button.dataset.actionId,
    ...(button.dataset.value === undefined ? {} : { value: button.dataset.value }),
  });
  button.disabled = false;
  scheduleRefresh();
}

async function submitModal(form) {
  const values = {};
  for (const field of form.querySelectorAll('.b-input-field')) {
    const block = field.dataset.blockId;
    values[block] = { ...(values[block] || {}), [field.dataset.actionId]: field.value };
  }
  const answer = await postJson('/console/api/submit', { as: state.as, viewId: form.dataset.viewId, values });
  if (answer.errors) {
    form.querySelector('.modal-errors').textContent = Object.values(answer.errors).join(' ');
    return;
  }
  if (answer.ok) {
    state.dismissed.add(form.dataset.viewId);
    showModal(null, null);
  }
  scheduleRefresh();
}

document.addEventListener('click', (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (!target) return;
  const channel = target.closest('.channel-link');
  if (channel) {
    event.preventDefault();
    state.channel = channel.dataset.channel;
    state.thread = null;
    showChrome();
    syncUrl();
    void refreshView({ toBottom: true });
    void refreshPanel();
    return;
  }
  const person = target.closest('.person');
  if (person) {
    state.as = person.dataset.user;
    localStorage.setItem('warden.console.as', state.as);
    showChrome();
    syncUrl();
    void refreshView();
    return;
  }
  const threadLink = target.closest('.thread-link');
  if (threadLink) {
    state.thread = threadLink.dataset.threadTs;
    showChrome();
    syncUrl();
    void refreshView({ toBottom: true });
    void refreshPanel();
    return;
  }
  if (target.closest('#thread-close')) {
    state.thread = null;
    showChrome();
    syncUrl();
    void refreshPanel();
    return;
  }
  if (target.closest('[data-close]')) {
    if (state.modalId) state.dismissed.add(state.modalId);
    showModal(null, null);
    return;
  }
  const button = target.closest('.msg .b-btn[data-action-id]');
  if (button && !button.disabled) void clickButton(button);
});

document.addEventListener('submit', (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  event.preventDefault();
  if (form.id === 'composer') return void sendComposer();
  if (form.classList.contains('modal')) void submitModal(form);
});

async function sendComposer() {
  const input = $('composer-input');
  const text = input.value.trim();
  if (!text) return;
  input.disabled = true;
  const answer = await postJson('/console/api/command', { as: state.as, channel: state.channel, text });
  input.disabled = false;
  input.focus();
  if (!answer.ok) return scheduleRefresh();
  // As in Slack, sending jumps to the newest message; later updates keep it in view while the reader
  // stays at the bottom.
  input.value = '';
  const messages = $('messages');
  messages.scrollTop = messages.scrollHeight;
  void refreshView({ toBottom: true });
  void refreshPanel();
}

$('composer-input').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    void sendComposer();
  }
});

document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && state.modalId) {
    state.dismissed.add(state.modalId);
    showModal(null, null);
  }
});

showChrome();
syncUrl();
localTimes(document);
$('messages').scrollTop = $('messages').scrollHeight;
connect();
void refreshView({ toBottom: true });
void refreshPanel();
