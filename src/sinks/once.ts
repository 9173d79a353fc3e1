/**
 * What a process remembers about the sink tables it created. A table can vanish under a running worker (the
 * database dropped and recreated, a schema restored): `forgetCreatedTables()` makes every memo of every sink in
 * the process run its creation again on next use. Forgetting too much only costs a few CREATE IF NOT EXISTS.
 */
let generation = 0;

/** Called when the database says a table we created is not there (see `isMissingTable`). */
export function forgetCreatedTables(): void {
  generation += 1;
}

/** `work` run at most once at a time and, once it succeeded, not again until the created tables are forgotten. */
export function once(work: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  let doneIn = generation;
  return () => {
    if (doneIn !== generation) done = undefined;
    if (done === undefined) {
      doneIn = generation;
      done = work().catch((error: unknown) => {
        // A failed attempt (the database briefly down) is tried again by the next caller.
        done = undefined;
        throw error;
      });
    }
    return done;
  };
}

/** Names of tables created in this process, forgotten with them. */
export class CreatedTables {
  private names = new Set<string>();
  private createdIn = generation;

  has(name: string): boolean {
    if (this.createdIn !== generation) {
      this.names = new Set();
      this.createdIn = generation;
    }
    return this.names.has(name);
  }

  add(name: string): void {
    this.has(name); // starts afresh if the tables were forgotten meanwhile
    this.names.add(name);
  }
}

/** The database's "no such table" (PostgreSQL 42P01, or 3F000 when the whole schema is gone; DuckDB's Catalog Error). */
export function isMissingTable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === '42P01' || code === '3F000') return true;
  const message = error instanceof Error ? error.message : String(error);
  return /Catalog Error: Table with name .* does not exist/i.test(message);
}
