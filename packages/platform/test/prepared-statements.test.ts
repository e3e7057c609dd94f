import { stackEnv } from '@finder/testing/stack';
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../src/config/logger.ts';
import { createOrm } from '../src/data/orm.ts';
import { MAX_PREPARED_PER_CONNECTION } from '../src/data/prepared-statements.ts';
import { query } from '../src/data/sql.ts';

const env = stackEnv();
let orm: MikroORM;

beforeAll(async () => {
  orm = await createOrm({ url: env.DATABASE_URL!, schema: 'public', migrations: [], poolMax: 1, logger: createLogger('prepared-statements-test', 'silent') });
});
afterAll(async () => {
  await orm?.close();
});

/** The statements prepared on the connection the transaction holds (pool of one: always the same). */
const prepared = (em: Parameters<typeof query>[0]) => query<{ statement: string }>(em, 'select statement from pg_prepared_statements');

it("runs parameterized statements prepared once per connection, and the ORM's inlined ones unnamed", async () => {
  const text = 'select $1::int + 1 as n /* prepared-statements-test */';
  await orm.em.fork().transactional(async (em) => {
    expect(await query(em, text, [1])).toEqual([{ n: 2 }]);
    expect(await query(em, text, [41])).toEqual([{ n: 42 }]);
    await em.execute('select ? as inlined /* prepared-statements-test */', ['x']);
  });
  // Outside a transaction too, on the same (only) connection: still one prepared statement.
  expect(await query(orm.em.fork(), text, [2])).toEqual([{ n: 3 }]);
  const statements = (await prepared(orm.em.fork())).map((r) => r.statement).filter((s) => s.includes('prepared-statements-test'));
  expect(statements).toEqual([text]);
});

it('prepares at most a bounded number of distinct texts per connection; beyond, statements still run', async () => {
  const em = orm.em.fork();
  for (let i = 0; i < MAX_PREPARED_PER_CONNECTION + 20; i++) {
    expect(await query(em, `select $1::int as n /* bounded ${i} */`, [i])).toEqual([{ n: i }]);
  }
  expect((await prepared(em)).length).toBe(MAX_PREPARED_PER_CONNECTION);
});

it('a failed statement leaves the connection and its prepared statements usable', async () => {
  const text = 'select 1 / $1::int as n /* prepared-statements-test failing */';
  await expect(orm.em.fork().transactional((em) => query(em, text, [0]))).rejects.toThrow(/division by zero/);
  expect(await query(orm.em.fork(), text, [1])).toEqual([{ n: 1 }]);
});
