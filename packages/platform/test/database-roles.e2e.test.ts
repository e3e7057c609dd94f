import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { createTestDatabase, query } from '@finder/testing/database';
import { startNode } from '@finder/testing/processes';
import { ROOT_DIR, stackEnv } from '@finder/testing/stack';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * Each subgraph connects to Postgres as its own role (infra/postgres/service-role.sql): it reads
 * and writes its own schema and can neither read nor change another subgraph's.
 */
const env = stackEnv();
const SUBGRAPHS = ['users', 'chat', 'finder', 'files'] as const;
const roleOf = (subgraph: string) => `${subgraph}_service`;

function urlAs(role: string, base = env.DATABASE_URL!): string {
  const url = new URL(base);
  url.username = role;
  url.password = '';
  return url.toString();
}

/** The SQLSTATE a statement fails with, or 'ok'. */
async function outcome(client: pg.Client, sql: string): Promise<string> {
  await client.query('savepoint probe');
  try {
    await client.query(sql);
    await client.query('release savepoint probe');
    return 'ok';
  } catch (error) {
    await client.query('rollback to savepoint probe');
    return (error as { code?: string }).code ?? String(error);
  }
}

const INSUFFICIENT_PRIVILEGE = '42501';

describe('Postgres roles per subgraph', () => {
  /** One table of each schema, to probe with. */
  const tableOf: Record<string, string> = {};

  beforeAll(async () => {
    const rows = await query<{ schemaname: string; tablename: string }>(
      env.DATABASE_URL!,
      `select distinct on (schemaname) schemaname, tablename from pg_tables where schemaname = any($1) order by schemaname, tablename`,
      [SUBGRAPHS],
    );
    for (const row of rows) tableOf[row.schemaname] = `${row.schemaname}.${row.tablename}`;
    expect(Object.keys(tableOf).sort()).toEqual([...SUBGRAPHS].sort());
  });

  for (const subgraph of SUBGRAPHS) {
    it(`${roleOf(subgraph)} uses its own schema and nothing of the others'`, async () => {
      const client = new pg.Client({ connectionString: urlAs(roleOf(subgraph)) });
      await client.connect();
      // Everything runs in a transaction that is rolled back: no row and no table is left behind.
      await client.query('begin');
      try {
        const probes = (table: string) => ({
          read: `select * from ${table} limit 1`,
          insert: `insert into ${table} select * from ${table} where false`,
          delete: `delete from ${table} where false`,
        });
        const own = probes(tableOf[subgraph]!);
        expect(await outcome(client, own.read)).toBe('ok');
        expect(await outcome(client, own.insert)).toBe('ok');
        expect(await outcome(client, own.delete)).toBe('ok');
        expect(await outcome(client, `create table ${subgraph}.role_probe (id int)`)).toBe('ok');

        for (const other of SUBGRAPHS.filter((s) => s !== subgraph)) {
          const theirs = probes(tableOf[other]!);
          expect(await outcome(client, theirs.read), `read ${tableOf[other]}`).toBe(INSUFFICIENT_PRIVILEGE);
          expect(await outcome(client, theirs.insert), `insert into ${tableOf[other]}`).toBe(INSUFFICIENT_PRIVILEGE);
          expect(await outcome(client, theirs.delete), `delete from ${tableOf[other]}`).toBe(INSUFFICIENT_PRIVILEGE);
          expect(await outcome(client, `create table ${other}.role_probe (id int)`), `create in ${other}`).toBe(INSUFFICIENT_PRIVILEGE);
        }
        expect(await outcome(client, 'create table public.role_probe (id int)')).toBe(INSUFFICIENT_PRIVILEGE);
        expect(await outcome(client, 'create role role_probe')).toBe(INSUFFICIENT_PRIVILEGE);
      } finally {
        await client.query('rollback');
        await client.end();
      }
    });
  }
});

describe('a new database', () => {
  it('is set up by the superuser creating the roles, then migrated by each subgraph as its own role', async () => {
    const db = await createTestDatabase(env.DATABASE_URL!, 'roles');
    try {
      for (const subgraph of SUBGRAPHS) {
        execFileSync('psql', ['-X', '-q', '-v', `role=${roleOf(subgraph)}`, '-v', `schema=${subgraph}`, '-f', join(ROOT_DIR, 'infra/postgres/service-role.sql'), db.url], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
      }
      for (const subgraph of SUBGRAPHS) {
        const run = startNode(`subgraphs/${subgraph}/src/main.ts`, ['migrate'], { ...env, DATABASE_URL: urlAs(roleOf(subgraph), db.url), PORT: '0', LOG_LEVEL: 'warn' });
        const code = await new Promise<number | null>((resolve) => run.process.once('exit', resolve));
        expect(code, `${subgraph} migrate:\n${run.output.join('\n')}`).toBe(0);
      }
      const owners = await query<{ schemaname: string; owners: string[] }>(
        db.url,
        `select schemaname, array_agg(distinct tableowner::text) as owners from pg_tables where schemaname = any($1) group by schemaname order by schemaname`,
        [SUBGRAPHS],
      );
      expect(owners).toEqual([...SUBGRAPHS].sort().map((subgraph) => ({ schemaname: subgraph, owners: [roleOf(subgraph)] })));
    } finally {
      await db.drop();
    }
  });
});
