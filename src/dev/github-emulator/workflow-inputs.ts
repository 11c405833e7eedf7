import type { WorkflowInput } from './store.work.ts';

/**
 * What GitHub refuses in the `inputs` of a `workflow_dispatch` (its 422 message), or null when they fit
 * what the workflow declares: no undeclared input, every required one given, choices among the options.
 */
export function dispatchInputsProblem(
  declared: Record<string, WorkflowInput>,
  given: Record<string, string>,
): string | null {
  const unexpected = Object.keys(given).filter((name) => !(name in declared));
  if (unexpected.length > 0) return `Unexpected inputs provided: ${JSON.stringify(unexpected)}`;
  for (const [name, input] of Object.entries(declared)) {
    const value = given[name];
    if (value === undefined) {
      if (input.required && input.default === undefined) return `Required input '${name}' not provided`;
      continue;
    }
    if (input.type === 'choice' && input.options && !input.options.includes(value))
      return `Provided value '${value}' for input '${name}' not in the list of allowed values`;
    if (input.type === 'boolean' && value !== 'true' && value !== 'false')
      return `Provided value '${value}' for input '${name}' is not a valid boolean`;
    if (input.type === 'number' && (value.trim() === '' || Number.isNaN(Number(value))))
      return `Provided value '${value}' for input '${name}' is not a valid number`;
  }
  return null;
}
