import pg from 'pg';

/** The PostgreSQL server's admin database, where a bench creates and drops its own (BENCH_PG overrides). */
export const ADMIN_URL = process.env['BENCH_PG'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** One statement on the admin connection: CREATE DATABASE and DROP DATABASE cannot run inside the bench's own. */
export async function adminQuery(sql: string, url: string = ADMIN_URL): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** The URL of a bench's own database on the same server. */
export function databaseUrl(database: string): string {
  return Object.assign(new URL(ADMIN_URL), { pathname: `/${database}` }).toString();
}
