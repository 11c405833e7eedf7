import { type Column, getTableColumns, is, Param, Placeholder, SQL, sql, type Table } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { drizzle } from 'drizzle-orm/postgres-js';
import type { Db } from './client.ts';

/**
 * A statement as the driver takes it: SQL text with `$n` parameters and their values, already encoded
 * (JSON as text, timestamps as ISO strings) the way drizzle encodes them.
 */
export type RawStatement = { text: string; params: unknown[] };

const dialect = new PgDialect();
/** A database handle that only builds queries (no driver behind it): statements need no connection. */
const builder = drizzle.mock() as unknown as Db;

/** Any statement the database layer runs: a drizzle SQL object, or a raw one. */
export type Statement = SQL | RawStatement;

export function isRawStatement(statement: Statement): statement is RawStatement {
  return (
    typeof (statement as RawStatement).text === 'string' && Array.isArray((statement as RawStatement).params)
  );
}

/** The text and parameters of any statement (drizzle SQL is compiled by the Postgres dialect). */
export function compileStatement(statement: Statement): RawStatement {
  if (isRawStatement(statement)) return statement;
  const query = dialect.sqlToQuery(statement);
  return { text: query.sql, params: query.params };
}

/** A raw statement as drizzle SQL, for `tx.execute` (its parameters are already encoded). */
export function asSql(statement: Statement): SQL {
  if (!isRawStatement(statement)) return statement;
  const parts = statement.text.split(/\$(\d+)/);
  const chunks: SQL[] = [];
  for (const [index, part] of parts.entries()) {
    if (index % 2 === 0) chunks.push(sql.raw(part));
    else chunks.push(sql`${statement.params[Number(part) - 1]}`);
  }
  return sql.join(chunks);
}

type Values = Record<string, unknown>;

/**
 * A statement built once from drizzle with named placeholders (`sql.placeholder('name')`), compiled once;
 * each call only encodes the values with each column's own encoder. The hot paths (the guard decides
 * thousands of times a second) skip rebuilding and recompiling the same query every time.
 * A missing or null value is SQL NULL.
 */
export function prepareOnce<V extends Values>(build: (db: Db) => SQL): (values: V) => RawStatement {
  let compiled: { text: string; fillers: Filler[] } | null = null;
  return (values) => {
    if (!compiled) {
      const query = dialect.sqlToQuery(build(builder));
      compiled = { text: query.sql, fillers: query.params.map(fillerOf) };
    }
    return { text: compiled.text, params: compiled.fillers.map((filler) => filler(values)) };
  };
}

/** How one parameter of a compiled statement gets its value from a call's values. */
type Filler = (values: Values) => unknown;

/** Decided once per parameter when the statement is compiled, not on every call. */
function fillerOf(param: unknown): Filler {
  if (is(param, Placeholder)) {
    const { name } = param;
    return (values) => values[name] ?? null;
  }
  if (is(param, Param) && is(param.value, Placeholder)) {
    const { name } = param.value;
    const { encoder } = param;
    return (values) => {
      const value = values[name];
      return value === null || value === undefined ? null : encoder.mapToDriverValue(value);
    };
  }
  return () => param;
}

/** `{ column: sql.placeholder('column') }` for the given columns of a table (all of them by default). */
export function placeholdersFor<T extends Table>(
  table: T,
  keys: (keyof T['$inferInsert'] & string)[] = Object.keys(getTableColumns(table)) as never,
): { [K in keyof T['$inferInsert']]-?: Placeholder } {
  return Object.fromEntries(keys.map((key) => [key, sql.placeholder(key)])) as never;
}

/**
 * A placeholder that keeps `column`'s encoder, for comparisons: drizzle leaves a bare placeholder in
 * `eq(column, placeholder)` unencoded, which is wrong for timestamps and JSON.
 */
export function encodedPlaceholder(name: string, column: Column): SQL {
  return sql`${new Param(sql.placeholder(name), column)}`;
}

/**
 * `{ column: placeholder }` for an UPDATE's `set` (which takes SQL): each placeholder keeps its column's
 * encoder, so the value is encoded as an insert would encode it.
 */
export function setPlaceholdersFor<T extends Table>(table: T, keys: (keyof T['$inferInsert'] & string)[]) {
  const columns = getTableColumns(table) as Record<string, Column>;
  return Object.fromEntries(keys.map((key) => [key, encodedPlaceholder(key, columns[key] as Column)])) as {
    [K in (typeof keys)[number]]: SQL;
  };
}

/** Each column of a table, by key, with its value when a row leaves it out: its default, or null (a SQL default is left to null). */
const columnDefaults = new WeakMap<Table, [string, Column, unknown][]>();

function defaultsOf(table: Table): [string, Column, unknown][] {
  let defaults = columnDefaults.get(table);
  if (!defaults) {
    defaults = Object.entries(getTableColumns(table)).map(([key, column]) => [
      key,
      column,
      column.default !== undefined && !is(column.default, SQL) ? column.default : null,
    ]);
    columnDefaults.set(table, defaults);
  }
  return defaults;
}

/**
 * A row of `table` as parameters in the table's column order (`listColumnsOf`), each value encoded by its
 * column as an insert encodes it; a column the row leaves out takes its default, or null. Built value by
 * value: a spread of the row followed by the missing keys cost ~30 µs a row (V8 kept rebuilding the
 * object's shape).
 */
export function encodedRowOf<T extends Table>(table: T, row: T['$inferInsert']): unknown[] {
  const given = row as Values;
  return defaultsOf(table).map(([key, column, fallback]) => {
    const value = given[key] === undefined ? fallback : given[key];
    return value === null || value === undefined ? null : column.mapToDriverValue(value);
  });
}

/** Statements that differ only in how many rows or ids they take, each shape built once. */
export function prepareByCount<V extends Values>(
  build: (db: Db, count: number) => SQL,
): (count: number, values: V) => RawStatement {
  const shapes = new Map<number, (values: V) => RawStatement>();
  return (count, values) => {
    let shape = shapes.get(count);
    if (!shape) {
      shape = prepareOnce<V>((on) => build(on, count));
      shapes.set(count, shape);
    }
    return shape(values);
  };
}

/** Renames each placeholder `name` to `name_<i>`, for the i-th of several rows. */
export function indexed<T extends Record<string, unknown>>(placeholders: T, i: number): T {
  return Object.fromEntries(
    Object.keys(placeholders).map((key) => [key, sql.placeholder(`${key}_${i}`)]),
  ) as T;
}

/** `{ <key>_<i>: value }` for each row's values, to fill `indexed` placeholders. */
export function indexedValues(rows: Record<string, unknown>[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [i, row] of rows.entries())
    for (const [key, value] of Object.entries(row)) values[`${key}_${i}`] = value;
  return values;
}

/** A column of a VALUES list: its name there, and the type its parameters are cast to. */
export type ListColumn = { name: string; type: string };

/** Every column of `table`, in the table's order, as a VALUES list's column. */
export function listColumnsOf(table: Table): ListColumn[] {
  return Object.values(getTableColumns(table)).map((column) => ({
    name: column.name,
    type: column.getSQLType(),
  }));
}

/** `v."<name>", …`: a VALUES list's columns, in order, as a SELECT from it (`rowsStatement`) takes them. */
export function listSelection(columns: ListColumn[]): SQL {
  return sql.raw(columns.map((c) => `v."${c.name}"`).join(', '));
}

/**
 * Statements that take any number of rows as a VALUES list, `(values ($1::<type>, …), …) as v(<names>)`:
 * each row's parameters, already encoded, in `columns`' order, one row after another. `around` builds the
 * statement around the list, with no parameter of its own. The casts type the parameters: Postgres does
 * not take a list's types from the columns an insert fills. Each count's text is built once.
 */
export function rowsStatement(
  columns: ListColumn[],
  around: (db: Db, list: SQL) => SQL,
): (rows: unknown[][]) => RawStatement {
  const texts = new Map<number, string>();
  const names = columns.map((c) => `"${c.name}"`).join(', ');
  return (rows) => {
    let text = texts.get(rows.length);
    if (!text) {
      const tuples = rows.map((_, r) => {
        const casts = columns.map((c, i) => `$${r * columns.length + i + 1}::${c.type}`);
        return `(${casts.join(', ')})`;
      });
      const query = dialect.sqlToQuery(
        around(builder, sql.raw(`(values ${tuples.join(', ')}) as v(${names})`)),
      );
      if (query.params.length > 0) throw new Error('a rows statement takes no parameter but its rows');
      text = query.sql;
      texts.set(rows.length, text);
    }
    const params: unknown[] = [];
    for (const row of rows) for (const value of row) params.push(value);
    return { text, params };
  };
}
