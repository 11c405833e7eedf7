import type { z } from 'zod';

// Answers as GitHub shapes them: errors with `message`, `documentation_url` and the status as a string;
// 422 for bodies that do not fit the endpoint's schema; `link` headers for pages.

export type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

const DOCS = 'https://docs.github.com/rest';

/** An error answer: `{ message, documentation_url, status: "404" }`. */
export const failure = (status: number, message: string, extra: Record<string, unknown> = {}): Answer => ({
  status,
  body: { message, ...extra, documentation_url: DOCS, status: String(status) },
});
export const notFound = (): Answer => failure(404, 'Not Found');

/** GitHub's 422 for a field that breaks a rule of the resource (`Validation Failed` with `errors`). */
export const validationFailed = (resource: string, field: string, message: string, code = 'custom'): Answer =>
  failure(422, 'Validation Failed', { errors: [{ resource, code, field, message }] });

const typeName = (expected: unknown) => (expected === 'int' ? 'integer' : String(expected));

/** GitHub's 422 for a body that does not fit the schema: `Invalid request.\n\n"title" wasn't supplied.` */
function invalidRequest(error: z.ZodError): Answer {
  const lines = error.issues.slice(0, 3).map((issue) => {
    const field = issue.path.map(String).join('/');
    const input = (issue as { input?: unknown }).input;
    if (input === undefined && field !== '') return `"${field}" wasn't supplied.`;
    const where = field ? `For 'properties/${field}'` : 'For the request body';
    if (issue.code === 'invalid_type')
      return `${where}, ${JSON.stringify(input)} is not ${/^[aeiou]/.test(typeName(issue.expected)) ? 'an' : 'a'} ${typeName(issue.expected)}.`;
    if (issue.code === 'invalid_union')
      return `${where}, ${JSON.stringify(input)} is not one of the allowed types.`;
    return `${where}, ${issue.message}.`;
  });
  return failure(422, `Invalid request.\n\n${lines.join('\n')}`);
}

/** Parses a request body with its schema; the 422 GitHub would answer when it does not fit. */
export function parseBody<T>(
  schema: z.ZodType<T>,
  body: unknown,
): { ok: true; value: T } | { ok: false; answer: Answer } {
  const parsed = schema.safeParse(body ?? {}, { reportInput: true });
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, answer: invalidRequest(parsed.error) };
}

/** `per_page` (1–100, default 30) and `page` of a list request, as GitHub reads them. */
export function pageOf(query: URLSearchParams): { perPage: number; page: number } {
  const perPage = Number.parseInt(query.get('per_page') ?? '', 10);
  const page = Number.parseInt(query.get('page') ?? '', 10);
  return {
    perPage: Number.isFinite(perPage) && perPage > 0 ? Math.min(perPage, 100) : 30,
    page: Number.isFinite(page) && page > 0 ? page : 1,
  };
}

/** One page of `items` and GitHub's `link` header (`prev`, `next`, `last`, `first`) pointing back at the fake. */
export function paginate<T>({ items, query, url }: { items: T[]; query: URLSearchParams; url: string }): {
  page: T[];
  headers: Record<string, string>;
} {
  const { perPage, page } = pageOf(query);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const pageUrl = (n: number) => {
    const q = new URLSearchParams(query);
    q.set('per_page', String(perPage));
    q.set('page', String(n));
    return `<${url}?${q.toString()}>`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`${pageUrl(Math.min(page - 1, last))}; rel="prev"`);
  if (page < last) links.push(`${pageUrl(page + 1)}; rel="next"`, `${pageUrl(last)}; rel="last"`);
  if (page > 1) links.push(`${pageUrl(1)}; rel="first"`);
  return {
    page: items.slice((page - 1) * perPage, page * perPage),
    headers: links.length > 0 ? { link: links.join(', ') } : {},
  };
}
