import type { StoredKind } from './emulator.types.ts';

type Labels = Record<string, string>;
type LabelRequirement =
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: 'in' | 'notin'; values: string[] };

/** A selector the server could not parse; the handler answers 400 with its message. */
export class SelectorError extends Error {}

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function checkKey(key: string): string {
  if (!KEY.test(key) || key.length > 316)
    throw new SelectorError(`unable to parse requirement: invalid label key "${key}"`);
  return key;
}
function checkValue(value: string): string {
  if (!VALUE.test(value) || value.length > 63)
    throw new SelectorError(`unable to parse requirement: invalid label value: "${value}"`);
  return value;
}

/** Splits on commas that are not inside `in (…)` value sets. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += char;
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

function parseTerm(term: string): LabelRequirement {
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (set?.[1] && set[2] && set[3] !== undefined) {
    const values = set[3].split(',').map((v) => checkValue(v.trim()));
    return { key: checkKey(set[1]), op: set[2] as 'in' | 'notin', values };
  }
  const equality = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (equality?.[1] && equality[2] && equality[3] !== undefined) {
    const op = equality[2] === '!=' ? 'notin' : 'in';
    return { key: checkKey(equality[1]), op, values: [checkValue(equality[3])] };
  }
  if (term.startsWith('!')) return { key: checkKey(term.slice(1).trim()), op: 'notexists' };
  if (/^\S+$/.test(term)) return { key: checkKey(term), op: 'exists' };
  throw new SelectorError(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=`);
}

/**
 * Parses a `labelSelector` query (`app=checkout,tier!=db`, `env in (a,b)`, `!canary`) into a predicate.
 * An empty selector matches everything.
 */
export function parseLabelSelector(selector: string | undefined): (labels: Labels | undefined) => boolean {
  const requirements = splitTerms(selector ?? '').map(parseTerm);
  return (labels = {}) =>
    requirements.every((r) => {
      const has = Object.hasOwn(labels, r.key);
      if (!('values' in r)) return r.op === 'exists' ? has : !has;
      const matches = has && r.values.includes(labels[r.key] ?? '');
      // `notin`/`!=` also match objects without the label, as in Kubernetes.
      return r.op === 'in' ? matches : !matches;
    });
}

/** The fields each kind can be selected on (the server's field-label conversion functions). */
const FIELDS: Partial<Record<StoredKind, string[]>> = {
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  Pod: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'status.phase',
    'status.podIP',
  ],
};

function readField(object: object, field: string): string {
  // The `source` field label means `source.component`.
  const path = field === 'source' ? ['source', 'component'] : field.split('.');
  let current: unknown = object;
  for (const part of path) current = (current as Record<string, unknown> | undefined)?.[part];
  return current === undefined || current === null ? '' : String(current);
}

/** Parses a `fieldSelector` (`involvedObject.name=checkout,type!=Normal`) for a kind into a predicate. */
export function parseFieldSelector(
  kind: StoredKind,
  selector: string | undefined,
): (object: object) => boolean {
  const allowed = ['metadata.name', 'metadata.namespace', ...(FIELDS[kind] ?? [])];
  const terms = splitTerms(selector ?? '').map((term) => {
    const match = /^([^=!]+)(==|=|!=)(.*)$/.exec(term);
    if (!match?.[1] || !match[2])
      throw new SelectorError(`invalid selector: '${term}'; can't understand '${term}'`);
    const field = match[1].trim();
    if (!allowed.includes(field)) throw new SelectorError(`field label not supported: ${field}`);
    return { field, negate: match[2] === '!=', value: (match[3] ?? '').trim() };
  });
  return (object) => terms.every((t) => (readField(object, t.field) === t.value) !== t.negate);
}
