// The side panel: the run's audit trail, the kill switch and the breakers, from the console's JSON API.
import { formatSlackDate } from './dates.js';
import { $, el } from './dom.js';

const DECISION_CLASS = { allow: 'ok', approve: 'ok', needs_approval: 'wait', deny: 'bad', reject: 'bad' };

/** The selected run and its audit trail (oldest first; stays scrolled to the end when it was there). */
export function renderRun(panel, { who, threadOpen }) {
  const facts = $('run-facts');
  facts.textContent = '';
  $('run-sub').textContent =
    panel.selectedBy === 'thread'
      ? '(this thread)'
      : panel.selectedBy === 'latest'
        ? '(latest in channel)'
        : '';
  const audit = $('audit');
  const scroller = audit.parentElement;
  const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
  audit.textContent = '';
  if (!panel.run) {
    facts.textContent = threadOpen ? 'This thread is not a run.' : 'No run in this channel yet.';
    return;
  }
  const run = panel.run;
  const rows = [
    ['run', run.id],
    ['agent', run.agent],
    ['incident', run.incidentId || '—'],
    ['requested by', who(run.requester)],
    ['state', run.state],
  ];
  const list = el('dl');
  for (const [term, value] of rows) {
    list.append(el('dt', '', term), el('dd', term === 'state' ? `state-${value}` : '', value));
  }
  facts.append(list);
  for (const event of panel.audit) {
    const item = el('li', `audit-event ${DECISION_CLASS[event.decision] || ''}`);
    item.title = event.line;
    item.dataset.action = event.action;
    if (event.tool) item.dataset.tool = event.tool;
    const time = formatSlackDate(new Date(event.at), '{time_secs}') ?? '';
    item.append(
      el('span', 'audit-seq', `#${event.seq}`),
      el('span', 'audit-action', event.action),
      el('span', 'audit-time', time),
      el('span', 'audit-actor', event.tool ? `${who(event.actor)} · ${event.tool}` : who(event.actor)),
    );
    if (event.decision) {
      item.append(
        el(
          'span',
          'audit-decision',
          event.reasonCode ? `${event.decision} · ${event.reasonCode}` : event.decision,
        ),
      );
    }
    audit.append(item);
  }
  if (atBottom) scroller.scrollTop = scroller.scrollHeight;
}

/** The kill switch scopes and every charter breaker with its state. */
export function renderControls(controls, { who }) {
  const kill = $('kill');
  kill.textContent = '';
  const engaged = controls.killSwitches.filter((k) => k.engaged);
  if (engaged.length === 0) {
    kill.append(
      el('div', 'pill ok', 'Released'),
      el('p', 'muted', 'Agents may run. Anyone can stop them with /agent kill.'),
    );
  } else {
    for (const k of engaged) {
      const row = el('div', 'kill-row');
      row.append(el('div', 'pill bad', `Engaged · ${k.scope}`));
      row.append(
        el(
          'p',
          'muted',
          `by ${who(k.by || '?')}${k.reason ? `: ${k.reason}` : ''}. Only an owner can /agent resume.`,
        ),
      );
      kill.append(row);
    }
  }
  kill.dataset.engaged = String(engaged.length > 0);
  const breakers = $('breakers');
  breakers.textContent = '';
  for (const b of controls.breakers) {
    const item = el('li', 'breaker');
    item.append(
      el('span', 'breaker-name', `${b.agent} / ${b.breaker}${b.key && b.key !== '*' ? ` (${b.key})` : ''}`),
      el(
        'span',
        `pill ${b.state === 'closed' ? 'ok' : b.state === 'open' ? 'bad' : 'wait'}`,
        b.state.replace('_', '-'),
      ),
    );
    if (b.lastReason && b.state !== 'closed') item.append(el('p', 'muted', b.lastReason));
    breakers.append(item);
  }
  if (controls.breakers.length === 0) breakers.append(el('li', 'muted', 'No breakers in the charters.'));
}
