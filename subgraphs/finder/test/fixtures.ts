import { createLogger } from '@finder/platform/config';
import { createOrm } from '@finder/platform/data';
import { createTestDatabase } from '@finder/testing/database';
import { startNode } from '@finder/testing/processes';
import type { MikroORM } from '@mikro-orm/postgresql';
import { migrations } from '../src/migrations/index.ts';

/** A throwaway database on the stack's Postgres with the finder schema migrated by its own command. */
export async function finderDatabase(env: Record<string, string>, prefix: string): Promise<{ url: string; orm: MikroORM; drop(): Promise<void> }> {
  const db = await createTestDatabase(env.DATABASE_URL!, prefix);
  const run = startNode('subgraphs/finder/src/main.ts', ['migrate'], { ...env, DATABASE_URL: db.url, PORT: '0' });
  const code = await new Promise<number | null>((resolve) => run.process.once('exit', resolve));
  if (code !== 0) throw new Error(`migrate failed:\n${run.output.join('\n')}`);
  const orm = await createOrm({ url: db.url, schema: 'finder', migrations, logger: createLogger('finder-test', 'silent') });
  return {
    url: db.url,
    orm,
    async drop() {
      await orm.close();
      await db.drop();
    },
  };
}
