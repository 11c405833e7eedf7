/**
 * Spots instruction-like text aimed at the agent inside data (incident text, log lines, tool output): the
 * shapes prompt-injection attacks take ("ignore previous instructions", fake system or admin messages,
 * requests to approve, to print tokens, to change the charter…). A finding only warns: it is shown to the
 * people deciding and audited, and never blocks or allows anything by itself. Pure.
 */

import { hasInvisible, normaliseUntrusted } from './injection-normalise.ts';
import { NEW_RULES, type Rule } from './injection-rules.ts';
import { type InjectionEncoding, legacyHidden, legacyViews, MAX_TEXT, viewsOf } from './injection-views.ts';

/** What kind of instruction-like text was found. */
export type InjectionSignal =
  | 'ignore_instructions'
  | 'fake_role_message'
  | 'chat_markup'
  | 'data_delimiter'
  | 'addressed_to_agent'
  | 'urgent_instructions'
  | 'tool_request'
  | 'fake_tool_call'
  | 'approval_request'
  | 'approval_claim'
  | 'secret_request'
  | 'charter_change'
  | 'control_tampering'
  | 'hidden_characters'
  | 'encoded_instructions'
  | 'authority_claim';

/** Signals found in a text, and a short excerpt around the first one (for people to look at). */
export type InjectionFinding = {
  signals: InjectionSignal[];
  excerpt: string;
  /** The view of the text the first signal was found on (`plain`, `lookalike`, `rot13`, `base64`, …). */
  encoding?: InjectionEncoding;
};

export { normaliseUntrusted } from './injection-normalise.ts';
export type { InjectionEncoding } from './injection-views.ts';

// Each pattern runs on every view of the text (invisible characters removed, NFKC, lower-cased…); `words`
// patterns also see `_` and `-` as spaces ("ignore-the-charter", "pre_approved"). These are the rules from
// before issue 14; the ones it added are in injection-rules.ts.
const PATTERNS: Rule[] = [
  {
    signal: 'ignore_instructions',
    on: 'words',
    re: /\b(ignore|disregard|forget|override|bypass)\b[^.\n]{0,40}?\b(previous|prior|above|earlier|all|your|the|any|these|those|system)\b[^.\n]{0,30}?\b(instructions?|rules?|prompts?|directions?|guidelines?|charter|polic(y|ies)|guardrails?)\b/,
  },
  {
    signal: 'ignore_instructions',
    on: 'words',
    re: /\b(ignorez|ignora|ignoriere|ignorieren|ignorar|negeer)\b[^.\n]{0,60}?\b(instructions?|instrucciones|anweisungen|istruzioni|instructies|regles|règles|reglas)\b/,
  },
  {
    signal: 'fake_role_message',
    on: 'text',
    re: /^\s*(system|developer|assistant) (message|prompt|notice|override|update)\s*:|[\n\]>|}"'.-]\s*(system|developer|assistant)\s*(message|prompt|notice|override|update)?\s*:|\bsystem (message|prompt|override|notice|instruction)s?\b|\[(system|developer|admin|assistant)\]|"role"\s*:\s*"(system|developer|assistant|tool)"|<\/?\s*(system|assistant|developer|information|instructions?)\s*>|\binstructions? from (the |your )?(admin|administrator|developer|operator|system|warden)\b|\bwarden (control plane|system|admin)\b|\bnew polic(y|ies) from\b/u,
  },
  {
    signal: 'chat_markup',
    on: 'text',
    re: /<\|\s*(im_start|im_end|system|user|assistant|endoftext)\s*\|>|\[\/?inst\]|<<\/?sys>>/,
  },
  { signal: 'data_delimiter', on: 'text', re: /untrusted[\s_-]*data/ },
  {
    signal: 'addressed_to_agent',
    on: 'words',
    re: /\b(you are now|you have been (promoted|granted|authori[sz]ed)|as (an|the) (ai|assistant|language model)|to you,? the (ai )?(assistant|model|agent)|ai assistant|language model|before you can solve the task|as the \w+ agent)\b/,
  },
  {
    signal: 'urgent_instructions',
    on: 'text',
    re: /\bimportant\b\s*(!{2,}|:?\s*(instructions?|message|notice)\b)|\bimportant!{2,}/,
  },
  {
    signal: 'tool_request',
    on: 'text',
    re: /\b(call|invoke)\b\W{1,3}(the\s+)?(tool\s+)?(named\s+)?["'`]?[a-z]+_[a-z_]+\b/,
  },
  {
    signal: 'fake_tool_call',
    on: 'text',
    re: /"tool_calls"|"function_call"|"function"\s*:\s*\{\s*"name"|\btool result\b|\bnext required step\b/,
  },
  {
    signal: 'approval_request',
    on: 'words',
    re: /\bapprove (it|this|them|that|the \w+)\b|\bapprove \w+ yourself\b|\bwithout (any |an |waiting for )?(approvals?|review|confirmation)\b|\bskips? (the )?approvals?\b|\bno approval (is )?(needed|required)\b|\bmark (it|this) (as )?approved\b|\bself approv/,
  },
  {
    signal: 'approval_claim',
    on: 'words',
    re: /\bpre ?approved\b|\bapproved by: |\bapproval id\b|\b(is|was|been|are) (already )?approved by (u[0-9a-z]{6,}|the \w+ lead)\b|\bauthori[sz]ed by the \w+ lead\b/,
  },
  {
    signal: 'secret_request',
    on: 'words',
    re: /\b(print|reveal|show|display|post|include|send|leak|dump|output|paste|share|expose|echo|contains?|containing)\b[^.\n]{0,60}?\b(api keys?|tokens?|passwords?|secrets?|credentials?|environment variables?|env vars?|private keys?)\b|\/proc\/self\/environ|\bget credentials\b/,
  },
  {
    signal: 'charter_change',
    on: 'words',
    re: /\b(add|change|update|edit|modify|widen|extend|rewrite|replace|remove)\b[^.\n]{0,80}?\b(your|the) charter\b|\bcharter (has been|was|is now) (updated|changed|modified|replaced)\b|\b(set|switch|change|put)\b[^.\n]{0,20}?\bmode\b\W{0,3}(to )?autonomous\b|\bmode ?[:=] ?autonomous\b|\byou are now allowed\b/,
  },
  {
    signal: 'control_tampering',
    on: 'words',
    re: /\b(disable|turn off|bypass|reset|resume|release|override)\b[^.\n]{0,30}?\b(kill switch|breakers?|guardrails?|the guard|audit (log|trail))\b|\bresume agent\b|\bkill switch is (broken|disabled)\b/,
  },
  {
    signal: 'encoded_instructions',
    on: 'words',
    re: /\bdecode\b[^.\n]{0,40}?\b(follow|execute|run|obey|do)\b/,
  },
];

const EXCERPT = 160;

/** What the detector matches: `legacy` is the detector before issue 14 (one view, the old rules only). */
export type DetectOptions = { legacy?: boolean };

/**
 * Rules in their order, with one alternation of every rule matched on the same subject with the same flags:
 * when it finds nothing, none of those rules can, and most texts hold no instruction at all.
 */
type RuleSet = { rules: readonly Rule[]; groupOf: number[]; groups: { on: Rule['on']; any: RegExp }[] };

function ruleSet(rules: readonly Rule[]): RuleSet {
  const sources = new Map<string, string[]>();
  const groupOf = rules.map(({ on, re }) => {
    // A rule with its own state (global, sticky) or back-references is not merged: it is always run.
    if (re.global || re.sticky || /\\[1-9k]/.test(re.source)) return -1;
    const key = `${on} ${re.flags}`;
    const merged = sources.get(key) ?? [];
    merged.push(`(?:${re.source})`);
    sources.set(key, merged);
    return [...sources.keys()].indexOf(key);
  });
  const groups = [...sources].map(([key, merged]) => {
    const [on, flags] = key.split(' ') as [Rule['on'], string];
    return { on, any: new RegExp(merged.join('|'), flags) };
  });
  return { rules, groupOf, groups };
}

function match(text: string, set: RuleSet): { signal: InjectionSignal; index: number }[] {
  const words = text.replace(/[_-]+/g, ' ');
  const found: { signal: InjectionSignal; index: number }[] = [];
  const live = set.groups.map(({ on, any }) => any.test(on === 'words' ? words : text));
  set.rules.forEach(({ signal, on, re }, i) => {
    const group = set.groupOf[i] ?? -1;
    if (group >= 0 && !live[group]) return;
    const hit = re.exec(on === 'words' ? words : text);
    if (hit) found.push({ signal, index: hit.index });
  });
  return found;
}

const LEGACY_RULES = ruleSet(PATTERNS);
const ALL_RULES = ruleSet([...PATTERNS, ...NEW_RULES]);

/**
 * Looks for instruction-like text aimed at the agent in one piece of text; null when there is none.
 * Matches every view of the text (normalised, look-alikes and leetspeak folded, ROT13, base64, URL-decoded,
 * Unicode tag text); `encoding` names the first view that matched. A signal an encoded view adds also
 * brings `encoded_instructions`; invisible characters next to a finding bring `hidden_characters`.
 */
export function detectInjection({
  text,
  legacy = false,
}: { text: string } & DetectOptions): InjectionFinding | null {
  const views = legacy ? legacyViews(text) : viewsOf(text);
  const rules = legacy ? LEGACY_RULES : ALL_RULES;
  const found: { signal: InjectionSignal; index: number }[] = [];
  let encoding: InjectionEncoding | undefined;
  for (const view of views) {
    const inner = match(view.text, rules);
    const fresh = inner.filter((f) => !found.some((g) => g.signal === f.signal));
    if (fresh.length === 0) continue;
    encoding ??= view.encoding;
    const decoded = view.encoding !== 'plain' && view.encoding !== 'lookalike';
    found.push(...fresh.map((f) => (decoded ? { ...f, index: 0 } : f)));
    if (decoded) found.push({ signal: 'encoded_instructions', index: 0 });
  }
  if (found.length === 0 || !encoding) return null;
  if (legacy ? legacyHidden(text) : hasInvisible(text)) found.push({ signal: 'hidden_characters', index: 0 });
  const signals = [...new Set(found.map((f) => f.signal))];
  const at = Math.max(0, Math.min(...found.map((f) => f.index)) - 20);
  const shown = normaliseUntrusted(text.slice(0, MAX_TEXT)).replace(/\s+/g, ' ');
  const excerpt = shown.length <= EXCERPT ? shown : `${shown.slice(at, at + EXCERPT - 1)}…`;
  return { signals, excerpt, encoding };
}

/**
 * Looks through every string in a tool's output (summary and data, nested) and merges what it finds:
 * the signals of all strings, the excerpt of the first one flagged. Null when nothing is flagged.
 */
export function scanToolOutput({ output }: { output: unknown }): InjectionFinding | null {
  const strings: string[] = [];
  const walk = (value: unknown, depth: number) => {
    if (strings.length >= 500 || depth > 8) return;
    if (typeof value === 'string') strings.push(value);
    else if (Array.isArray(value)) for (const v of value) walk(v, depth + 1);
    else if (value && typeof value === 'object') for (const v of Object.values(value)) walk(v, depth + 1);
  };
  walk(output, 0);
  let merged: InjectionFinding | null = null;
  // The same text finds the same again (outputs repeat names, states, environments): looked at once.
  for (const text of new Set(strings)) {
    const finding = detectInjection({ text });
    if (!finding) continue;
    if (!merged) merged = { ...finding, signals: [...finding.signals] };
    else merged.signals = [...new Set([...merged.signals, ...finding.signals])];
  }
  return merged;
}

/** The rules, in order, and what they find on one view of a text (the detector's own path: for tests). */
export const detectorRules = ({ legacy = false }: DetectOptions = {}) =>
  (legacy ? LEGACY_RULES : ALL_RULES).rules;
export const ruleMatches = (text: string, { legacy = false }: DetectOptions = {}) =>
  match(text, legacy ? LEGACY_RULES : ALL_RULES);
