// Small DOM helpers for the console page: every text this script writes goes through textContent.

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

// Slack shows times and `<!date>` tokens in the reader's own time zone; the server sends UTC fallbacks.
export function localTimes(root) {
  for (const node of root.querySelectorAll('time[data-ts]')) {
    const date = new Date(Number(node.dataset.ts) * 1000);
    const time = date.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' });
    node.textContent = node.closest('.gutter') ? time.replace(/\s?[AP]M$/i, '') : time;
    node.title = date.toLocaleString();
  }
  for (const node of root.querySelectorAll('.md-date[title]')) {
    const date = new Date(node.title);
    if (!Number.isNaN(date.getTime()))
      node.textContent = date.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
  }
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
