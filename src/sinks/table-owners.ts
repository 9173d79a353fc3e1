import { ApplicationFailure } from '@temporalio/common';
import { CreatedTables, once } from './once';
import type { SqlDriver } from './sql-driver';

const OWNERS = '_lms_table_owners';

/** Who writes a resource table: the first writer owns it; others may join only if every one shares it. */
export interface TableClaim {
  table: string;
  /** The spec's name: with the resource, what owns the table. */
  spec: string;
  resource: string;
  /** The source's base URL, to name the owner in a refusal; a spec may move to another URL and keep its tables. */
  source: string;
  /**
   * The resource's path as the spec wrote it, placeholders and all for a fan-out (`/courses/{course_id}/enrollments`):
   * every parent makes the one claim. Rows written before held a parent's filled path; its owner's next claim updates it.
   */
  path: string;
  shared: boolean;
}

export const TABLE_OWNED = 'TableOwnedByAnother';

/**
 * The sink's record of which spec and source each resource table belongs to, so two specs that name a resource
 * alike cannot overwrite each other's rows unnoticed. A table written before the record existed is adopted by its
 * next writer.
 */
export class TableOwners {
  /** Claims this process already made good (forgotten with the tables, should the sink lose them). */
  private readonly claimed = new CreatedTables();

  constructor(private readonly db: SqlDriver) {}

  private readonly ensureTables = once(async (): Promise<void> => {
    await this.db.transaction((tx) =>
      tx.query(`CREATE TABLE IF NOT EXISTS ${this.db.table(OWNERS)} (table_name VARCHAR PRIMARY KEY, spec VARCHAR NOT NULL,
        resource VARCHAR NOT NULL, source VARCHAR NOT NULL, path VARCHAR NOT NULL, shared VARCHAR NOT NULL, claimed_at TIMESTAMP NOT NULL)`),
    );
  });

  /** Records the first writer of a table; refuses (non-retryably) a writer the owner did not agree to share with. */
  async claim(claim: TableClaim): Promise<void> {
    const memo = JSON.stringify([claim.table, claim.spec, claim.resource, claim.source, claim.path, claim.shared]);
    if (this.claimed.has(memo)) return;
    await this.ensureTables();
    const owners = this.db.table(OWNERS);
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO ${owners} (table_name, spec, resource, source, path, shared, claimed_at) VALUES ($1, $2, $3, $4, $5, $6, CURRENT_TIMESTAMP)
         ON CONFLICT (table_name) DO NOTHING`,
        [claim.table, claim.spec, claim.resource, claim.source, claim.path, String(claim.shared)],
      );
      const owner = (await tx.query(`SELECT spec, resource, source, path, shared FROM ${owners} WHERE table_name = $1`, [claim.table]))[0];
      if (owner === undefined) return;
      const sameWriter = String(owner['spec']) === claim.spec && String(owner['resource']) === claim.resource;
      if (sameWriter) {
        // The owner may start or stop sharing its table, or read it from another URL now.
        if (String(owner['shared']) !== String(claim.shared) || String(owner['source']) !== claim.source || String(owner['path']) !== claim.path) {
          await tx.query(`UPDATE ${owners} SET shared = $1, source = $2, path = $3 WHERE table_name = $4`, [String(claim.shared), claim.source, claim.path, claim.table]);
        }
        return;
      }
      if (String(owner['shared']) === 'true' && claim.shared) return;
      const first = `spec "${String(owner['spec'])}" (resource ${String(owner['resource'])}, ${String(owner['source'])}${String(owner['path'])})`;
      throw ApplicationFailure.nonRetryable(
        `table ${claim.table} in this sink belongs to ${first}; set "sharedTable": true on both resources to let them write together, or use another sink schema`,
        TABLE_OWNED,
      );
    });
    this.claimed.add(memo);
  }
}
