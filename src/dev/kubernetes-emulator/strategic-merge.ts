import type { Json, JsonObject } from './emulator.types.ts';

/**
 * The merge key of each list the Kubernetes types mark `patchStrategy: merge`, by field name. The real
 * server looks the strategy up by the field's place in the schema; for the objects the emulator patches
 * (Deployments, Scales) no two lists of the same name differ, so the name is enough.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  ports: 'containerPort',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  volumes: 'name',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  conditions: 'type',
  ownerReferences: 'uid',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  schedulingGates: 'name',
};
/** Lists of scalars that merge (set union) instead of being replaced. */
const MERGED_SCALAR_LISTS = new Set(['finalizers']);

const isObject = (value: Json | undefined): value is JsonObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function mergeList(field: string, original: Json | undefined, patch: Json[]): Json[] {
  // `{"$patch": "replace"}` in a list means: the list is exactly the other elements.
  const replace = patch.some((item) => isObject(item) && item.$patch === 'replace');
  const items = patch.filter((item) => !(isObject(item) && item.$patch === 'replace'));
  if (replace || !Array.isArray(original))
    return items.filter((i) => !(isObject(i) && i.$patch === 'delete'));
  const key = MERGE_KEYS[field];
  if (key === undefined) {
    if (!MERGED_SCALAR_LISTS.has(field)) return items;
    return [
      ...original,
      ...items.filter((i) => !original.some((o) => JSON.stringify(o) === JSON.stringify(i))),
    ];
  }
  const result = [...original];
  for (const item of items) {
    if (!isObject(item)) continue;
    const index = result.findIndex((o) => isObject(o) && o[key] === item[key]);
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
    } else if (index >= 0) result[index] = applyStrategicMergePatch(result[index] ?? {}, item);
    else result.push(applyStrategicMergePatch({}, item));
  }
  return result;
}

/**
 * Strategic merge patch (`application/strategic-merge-patch+json`), as `kubectl rollout restart`,
 * `kubectl set image` and `kubectl patch` send it: maps merge, null deletes, lists with a merge key merge
 * element by element, `$patch: replace|delete`, `$retainKeys` and `$deleteFromPrimitiveList/<field>`.
 * `$setElementOrder/<field>` only orders elements and is dropped.
 */
export function applyStrategicMergePatch(original: Json | undefined, patch: JsonObject): Json {
  if (patch.$patch === 'replace') {
    const { $patch: _directive, ...rest } = patch;
    return rest;
  }
  const result: JsonObject = isObject(original) ? { ...original } : {};
  const retain = patch.$retainKeys;
  if (Array.isArray(retain)) {
    for (const key of Object.keys(result)) if (!retain.includes(key)) delete result[key];
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const list = result[field];
      if (Array.isArray(list) && Array.isArray(value)) result[field] = list.filter((v) => !value.includes(v));
      continue;
    }
    if (value === null || (isObject(value) && value.$patch === 'delete')) delete result[key];
    else if (Array.isArray(value)) result[key] = mergeList(key, result[key], value);
    else if (isObject(value)) result[key] = applyStrategicMergePatch(result[key], value);
    else result[key] = value;
  }
  return result;
}
