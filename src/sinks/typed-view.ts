import { once } from './once';
import { quoteIdent, type SqlDriver, type SqlExecutor } from './sql-driver';
import { mergeShapes, sameShape, shapeOfRecords, viewColumns, type ColumnKind, type ViewColumn, type ViewShape } from './view-shape';

const VIEWS = '_lms_views';

/** The typed view of a resource table: `users` → `users_v`. */
export function viewName(resource: string): string {
  return `${resource}_v`;
}

function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * One field of `_record` as a typed column. A value that does not fit the column (a fraction in a BIGINT
 * column, stored before the view was widened) reads as NULL instead of failing the reader's query.
 */
function postgresColumn(field: string, kind: ColumnKind): string {
  const json = `_record -> ${sqlString(field)}`;
  const text = `(_record ->> ${sqlString(field)})`;
  const isType = (type: string): string => `jsonb_typeof(${json}) = '${type}'`;
  switch (kind) {
    case 'bigint':
      return `CASE WHEN ${isType('number')} AND ${text} ~ '^-?[0-9]{1,18}$' THEN ${text}::bigint END`;
    case 'decimal':
      return `CASE WHEN ${isType('number')} THEN ${text}::numeric END`;
    case 'double':
      return `CASE WHEN ${isType('number')} THEN ${text}::double precision END`;
    case 'boolean':
      return `CASE WHEN ${isType('boolean')} THEN ${text}::boolean END`;
    case 'text':
      return text;
    case 'json':
      return `(${json})`;
  }
}

function duckDbColumn(field: string, kind: ColumnKind): string {
  const path = sqlString(`$."${field.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
  const type = `json_type(_record, ${path})`;
  const text = `json_extract_string(_record, ${path})`;
  switch (kind) {
    case 'bigint':
      return `CASE WHEN ${type} IN ('BIGINT', 'UBIGINT') THEN TRY_CAST(${text} AS BIGINT) END`;
    case 'decimal':
      return `CASE WHEN ${type} IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN TRY_CAST(${text} AS DECIMAL(38, 0)) END`;
    case 'double':
      return `CASE WHEN ${type} IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN TRY_CAST(${text} AS DOUBLE) END`;
    case 'boolean':
      return `CASE WHEN ${type} = 'BOOLEAN' THEN ${text} = 'true' END`;
    case 'text':
      return text;
    case 'json':
      return `json_extract(_record, ${path})`;
  }
}

/**
 * Per field, the JSON types its stored values have over the whole table, whether every number is whole and
 * short enough for BIGINT (`whole`), and whether every number is an integer of any length (`integral`).
 */
function tableTypesSql(db: SqlDriver, resource: string): string {
  if (db.dialect === 'postgres') {
    return `SELECT e.key AS field, jsonb_typeof(e.value) AS type, bool_and(e.value::text ~ '^-?[0-9]{1,15}$') AS whole,
      bool_and(e.value::text ~ '^-?[0-9]+$') AS integral
      FROM ${db.table(resource)} AS r, jsonb_each(CASE WHEN jsonb_typeof(r._record) = 'object' THEN r._record ELSE '{}'::jsonb END) AS e
      GROUP BY 1, 2`;
  }
  return `SELECT j.key AS field, j.type AS type, bool_and(j.type NOT IN ('BIGINT', 'UBIGINT') OR abs(TRY_CAST(j.atom AS DOUBLE)) < 1e15) AS whole,
    bool_and(regexp_matches(CAST(j.atom AS VARCHAR), '^-?[0-9]+$')) AS integral
    FROM ${db.table(resource)} AS r, json_each(CASE WHEN json_type(r._record) = 'OBJECT' THEN r._record ELSE '{}' END) AS j
    GROUP BY 1, 2`;
}

function kindOfType(type: string, whole: boolean, integral: boolean): ColumnKind | undefined {
  const number = whole ? 'bigint' : integral ? 'decimal' : 'double';
  switch (type.toLowerCase()) {
    case 'null':
      return undefined;
    case 'number':
    case 'bigint':
    case 'ubigint':
      return number;
    case 'double':
      // DuckDB types a JSON integer too long for UBIGINT as DOUBLE; its digits still fit DECIMAL(38, 0).
      return integral ? 'decimal' : 'double';
    case 'boolean':
      return 'boolean';
    case 'string':
    case 'varchar':
      return 'text';
    default:
      return 'json';
  }
}

/**
 * `<resource>_v`: each top-level field of the stored records as a typed column (nested objects and arrays as
 * JSON), with `_key`, `_first_run`, `_last_run` and `_deleted_at`, so an analyst selects `name, email` without
 * JSON functions. The shape it was built from is kept in `_lms_views`; a page that brings a new field or a
 * wider type re-creates the view, and every run's end re-infers it from the whole table (narrowing it again
 * when the data allow). The view is a convenience: failing to build it never fails an export.
 */
export class TypedViews {
  constructor(
    private readonly db: SqlDriver,
    private readonly warn: (line: string) => void = (line) => console.warn(line),
  ) {}

  private readonly ensureTables = once(async (): Promise<void> => {
    await this.db.transaction((tx) => this.createShapeTable(tx));
  });

  /** After a page is stored: widens the view if the page has a field or a type the view lacks. */
  async afterPage(resource: string, records: unknown[]): Promise<void> {
    const page = shapeOfRecords(records);
    if (Object.keys(page).length === 0) return;
    await this.guarded(resource, async () => {
      await this.ensureTables();
      const stored = await this.storedShape(this.db, resource);
      if (stored !== undefined && sameShape(mergeShapes(stored, page), stored)) return;
      await this.rebuild(resource, (known) => (known === undefined ? undefined : mergeShapes(known, page)));
    });
  }

  /** After a run: the view from every stored record. */
  async afterRun(resource: string): Promise<void> {
    await this.guarded(resource, async () => {
      await this.ensureTables();
      await this.rebuild(resource, () => undefined);
    });
  }

  /**
   * Re-creates the view in one transaction with the shape `next` gives from the stored one; undefined means
   * infer it from the whole table (a first view, a table older than views, a run's end).
   */
  private async rebuild(resource: string, next: (stored: ViewShape | undefined) => ViewShape | undefined): Promise<void> {
    if (!(await this.db.tableExists(resource))) return;
    const hasView = await this.db.tableExists(viewName(resource));
    await this.db.transaction(async (tx) => {
      // First statement: on PostgreSQL it takes the DDL lock, so two workers widening one view take turns.
      await this.createShapeTable(tx);
      const stored = await this.storedShape(tx, resource);
      const shape = next(stored) ?? (await this.tableShape(tx, resource));
      if (stored !== undefined && sameShape(stored, shape) && hasView) return;
      await this.createView(tx, resource, viewColumns(shape));
      await tx.query(`DELETE FROM ${this.db.table(VIEWS)} WHERE resource = $1`, [resource]);
      await tx.query(`INSERT INTO ${this.db.table(VIEWS)} (resource, shape, built_at) VALUES ($1, $2, CURRENT_TIMESTAMP)`, [resource, JSON.stringify(shape)]);
    });
  }

  private async createView(tx: SqlExecutor, resource: string, columns: ViewColumn[]): Promise<void> {
    const expression = this.db.dialect === 'postgres' ? postgresColumn : duckDbColumn;
    const select = [
      '_key',
      ...columns.map((c) => `${expression(c.field, c.kind)} AS ${quoteIdent(c.column)}`),
      '_first_run',
      '_last_run',
      '_deleted_at',
    ].join(',\n  ');
    const view = this.db.table(viewName(resource));
    // PostgreSQL replaces a view only when its columns keep their names and types: drop it and create it again.
    if (this.db.dialect === 'postgres') await tx.query(`DROP VIEW IF EXISTS ${view}`);
    await tx.query(`CREATE OR REPLACE VIEW ${view} AS SELECT\n  ${select}\nFROM ${this.db.table(resource)}`);
  }

  private async tableShape(tx: SqlExecutor, resource: string): Promise<ViewShape> {
    const rows = await tx.query(tableTypesSql(this.db, resource));
    let shape: ViewShape = {};
    for (const row of rows) {
      const kind = kindOfType(String(row['type']), row['whole'] === true, row['integral'] === true);
      if (kind !== undefined) shape = mergeShapes(shape, { [String(row['field'])]: kind });
    }
    return shape;
  }

  private async storedShape(tx: SqlExecutor, resource: string): Promise<ViewShape | undefined> {
    const rows = await tx.query(`SELECT shape FROM ${this.db.table(VIEWS)} WHERE resource = $1`, [resource]);
    const shape = rows[0]?.['shape'];
    return typeof shape === 'string' ? (JSON.parse(shape) as ViewShape) : undefined;
  }

  private createShapeTable(tx: SqlExecutor): Promise<unknown> {
    return tx.query(`CREATE TABLE IF NOT EXISTS ${this.db.table(VIEWS)} (resource VARCHAR PRIMARY KEY, shape VARCHAR NOT NULL, built_at TIMESTAMP NOT NULL)`);
  }

  private async guarded(resource: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.warn(`typed view ${viewName(resource)} not refreshed (the table ${resource} is unaffected): ${(error as Error).message}`);
    }
  }
}
