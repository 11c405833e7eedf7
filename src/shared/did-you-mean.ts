/**
 * The known name closest to a misspelt one (`rolback_deploy` → `rollback_deploy`, `triag` → `triage`), or
 * null when none is close enough to be what was meant. Case is ignored; ties go to the earlier name.
 */
export function closestName<Name extends string>({
  typed,
  known,
}: {
  typed: string;
  known: readonly Name[];
}): Name | null {
  const word = typed.toLowerCase();
  let best: { name: Name; distance: number } | null = null;
  for (const name of known) {
    const distance = editDistance(word, name.toLowerCase());
    // A third of the name may be wrong, at most 3 edits: close enough to be a slip, not another word.
    const allowed = Math.min(3, Math.max(1, Math.floor(Math.max(word.length, name.length) / 3)));
    if (distance > allowed || distance === 0) continue;
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best?.name ?? null;
}

/**
 * Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`: optimal string alignment,
 * so the common slip of swapped letters (`stauts`) costs one, as it looks to a person.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i]!;
      const above = d[i - 1]!;
      let value = Math.min(above[j]! + 1, row[j - 1]! + 1, above[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        value = Math.min(value, d[i - 2]![j - 2]! + 1);
      row[j] = value;
    }
  }
  return d[a.length]![b.length]!;
}
