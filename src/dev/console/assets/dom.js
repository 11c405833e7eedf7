// Small DOM helpers for the console page: every text this script writes goes through textContent.

import { localTimes } from './dates.js';

export { localTimes };

export const $ = (id) => document.getElementById(id);
export const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
};

export async function getJson(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

export async function postJson(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({ ok: false, error: `HTTP ${response.status}` }));
  if (!answer.ok) toast(answer.error || 'Warden did not accept that');
  return answer;
}

let toastTimer;
export function toast(text) {
  const node = $('toast');
  node.textContent = text;
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    node.hidden = true;
  }, 5000);
}

export function replaceKeepingScroll(container, html, { toBottom = false } = {}) {
  const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 120;
  container.innerHTML = html;
  localTimes(container);
  if (toBottom || atBottom) container.scrollTop = container.scrollHeight;
}

/** Slack's confirm dialog for buttons that carry `confirm`; resolves true when confirmed. */
export function askConfirm(confirm) {
  return new Promise((resolve) => {
    const root = $('confirm-root');
    $('confirm-title').textContent = confirm.title;
    $('confirm-text').textContent = confirm.text;
    const ok = $('confirm-ok');
    const deny = $('confirm-deny');
    ok.textContent = confirm.confirm;
    deny.textContent = confirm.deny;
    ok.className = `b-btn ${confirm.style === 'danger' ? 'b-btn-danger' : 'b-btn-primary'}`;
    root.hidden = false;
    ok.focus();
    const done = (answer) => {
      root.hidden = true;
      ok.onclick = null;
      deny.onclick = null;
      resolve(answer);
    };
    ok.onclick = () => done(true);
    deny.onclick = () => done(false);
  });
}
