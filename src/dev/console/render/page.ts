import type { EmulatorChannel } from '../../slack-emulator/index.ts';
import type { ConsolePerson } from '../console.people.ts';
import { attrs, escapeHtml, jsonForScript } from './html.ts';

/** What the page starts with; the page script keeps it current after that. */
export type PageState = {
  channel: string;
  as: string;
  threadTs: string | null;
  channelHtml: string;
  threadHtml: string | null;
};

function channelList(channels: EmulatorChannel[], selected: string): string {
  return channels
    .map(
      (c) =>
        `<li><a${attrs({
          href: `/?channel=${encodeURIComponent(c.id)}`,
          class: `channel-link${c.id === selected ? ' active' : ''}`,
          'data-channel': c.id,
        })}><span class="hash">#</span>${escapeHtml(c.name)}<span class="unread" hidden></span></a></li>`,
    )
    .join('');
}

function peopleList(people: ConsolePerson[], selected: string): string {
  return people
    .map(
      (p) =>
        `<li><button${attrs({
          type: 'button',
          class: `person${p.id === selected ? ' active' : ''}`,
          'data-user': p.id,
          title: `${p.realName} (${p.id})`,
        })}><span class="presence"></span><span class="person-name">${escapeHtml(p.realName)}</span><span class="person-roles">${escapeHtml(
          p.roles.join(' · '),
        )}</span></button></li>`,
    )
    .join('');
}

/** The whole console page: sidebar (channels, who you are), channel, thread pane and the side panel. */
export function renderPage({
  people,
  channels,
  state,
}: {
  people: ConsolePerson[];
  channels: EmulatorChannel[];
  state: PageState;
}): string {
  const channel = channels.find((c) => c.id === state.channel);
  const me = people.find((p) => p.id === state.as);
  const config = {
    people,
    channels,
    initial: { channel: state.channel, as: state.as, thread: state.threadTs },
  };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>#${escapeHtml(channel?.name ?? 'channel')} · Warden (local)</title>
<link rel="stylesheet" href="/console/assets/console.css">
<link rel="stylesheet" href="/console/assets/channel.css">
<link rel="stylesheet" href="/console/assets/blocks.css">
<link rel="stylesheet" href="/console/assets/panes.css">
<script type="application/json" id="console-config">${jsonForScript(config)}</script>
<script type="module" src="/console/assets/console.js"></script>
</head>
<body>
<header class="topbar"><span class="topbar-title">Warden · local workspace</span><span class="topbar-note">Slack emulator · sandbox world · nothing leaves this machine</span><span class="live" id="live" title="live updates">● live</span></header>
<div class="app">
<nav class="sidebar">
  <div class="workspace">Warden (local)<small>sandbox</small></div>
  <h4>Channels</h4>
  <ul class="channels">${channelList(channels, state.channel)}</ul>
  <h4>Who you are</h4>
  <ul class="people">${peopleList(people, state.as)}</ul>
</nav>
<main class="channel">
  <div class="channel-head"><h1 id="channel-title">#${escapeHtml(channel?.name ?? '')}</h1><span class="channel-topic" id="channel-topic">${escapeHtml(channel?.topic ?? '')}</span></div>
  <div class="messages" id="messages" aria-live="polite">${state.channelHtml}</div>
  <form class="composer" id="composer" autocomplete="off">
    <div class="composer-box"><textarea id="composer-input" rows="1" placeholder="Message #${escapeHtml(
      channel?.name ?? '',
    )} — try /agent triage INC-123"></textarea><button type="submit" class="send" aria-label="Send">Send</button></div>
    <div class="composer-hint" id="composer-hint">You are <strong id="me-name">${escapeHtml(
      me?.realName ?? state.as,
    )}</strong>. Commands go to Warden as a signed slash command, exactly as Slack sends them.</div>
  </form>
</main>
<aside class="thread" id="thread"${state.threadHtml === null ? ' hidden' : ''}>
  <div class="pane-head"><h2>Thread</h2><span class="pane-sub" id="thread-sub">#${escapeHtml(
    channel?.name ?? '',
  )}</span><button type="button" class="pane-close" id="thread-close" aria-label="Close thread">×</button></div>
  <div class="messages thread-messages" id="thread-messages">${state.threadHtml ?? ''}</div>
</aside>
<aside class="panel" id="panel">
  <section><h3>Run <span class="panel-sub" id="run-sub"></span></h3><div id="run-facts" class="run-facts">No run yet.</div></section>
  <section class="audit-section"><h3>Audit trail</h3><ol id="audit" class="audit"></ol></section>
  <section><h3>Kill switch</h3><div id="kill" class="kill">…</div></section>
  <section><h3>Breakers</h3><ul id="breakers" class="breakers"></ul></section>
</aside>
</div>
<div id="modal-root"></div>
<div id="confirm-root" hidden><div class="modal-backdrop"><div class="modal confirm" role="dialog" aria-modal="true"><div class="modal-head"><h3 id="confirm-title"></h3></div><div class="modal-body"><p id="confirm-text"></p></div><div class="modal-foot"><button type="button" class="b-btn" id="confirm-deny"></button><button type="button" class="b-btn b-btn-primary" id="confirm-ok"></button></div></div></div></div>
<div id="toast" class="toast" role="status" hidden></div>
</body>
</html>
`;
}
