import { isMap, isNode, isPair, isScalar, isSeq, type Node } from 'yaml';

/** A map key as the text it is written with. */
export function keyOf(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/** The data path of a node from the ancestors `visit` gives (Document, maps, pairs, sequences). */
export function pathOf(chain: readonly unknown[]): PropertyKey[] {
  const path: PropertyKey[] = [];
  chain.forEach((item, i) => {
    const next = chain[i + 1];
    if (isPair(item) && next !== undefined && next === item.value) path.push(keyOf(item.key));
    if (isSeq(item) && next !== undefined) path.push(item.items.indexOf(next as never));
  });
  return path;
}

/** The node at a data path; for a map key, the key node itself (so the line is where the key is written). */
export function nodeAt({ root, path }: { root: unknown; path: readonly PropertyKey[] }): Node | undefined {
  let current: unknown = root;
  let found: Node | undefined = isNode(root) ? root : undefined;
  for (const part of path) {
    if (isMap(current)) {
      const pair = current.items.find((p) => keyOf(p.key) === String(part));
      if (!pair) break;
      if (isNode(pair.key)) found = pair.key;
      current = pair.value;
    } else if (isSeq(current) && typeof part === 'number') {
      current = current.items[part];
      if (isNode(current)) found = current;
    } else break;
  }
  return found;
}
