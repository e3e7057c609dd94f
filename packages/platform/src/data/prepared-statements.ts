import type { Pool, PoolClient, QueryConfig } from 'pg';

/** Distinct statements a connection prepares at most; further ones run unnamed, as before. */
export const MAX_PREPARED_PER_CONNECTION = 200;

/**
 * Makes every pooled connection run its parameterized statements as named prepared statements.
 * An unnamed statement is parsed and planned by Postgres on every execution: on the persisters'
 * hot path that was about half of Postgres' CPU per statement, and a round trip's worth of latency
 * per transaction. `pg` prepares a named statement once per connection and then sends only Bind
 * and Execute. Statements without parameters (what MikroORM's `em.execute` sends, its values
 * inlined into the text) stay unnamed, and a connection prepares at most `max` distinct texts, so
 * a statement built with varying text cannot grow a backend's memory without bound.
 */
export function prepareParameterizedStatements(pool: Pool, max = MAX_PREPARED_PER_CONNECTION): void {
  pool.on('connect', (client) => namePreparedStatements(client, max));
}

function namePreparedStatements(client: PoolClient, max: number): void {
  const names = new Map<string, string>();
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  client.query = ((text: unknown, values?: unknown, callback?: unknown) => {
    if (typeof text === 'string' && Array.isArray(values) && values.length > 0 && callback === undefined) {
      let name = names.get(text);
      if (name === undefined && names.size < max) names.set(text, (name = `p${names.size}`));
      if (name !== undefined) return query({ name, text, values } satisfies QueryConfig);
    }
    return query(text, values, callback);
  }) as typeof client.query;
}
