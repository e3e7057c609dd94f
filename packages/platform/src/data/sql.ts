import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Runs SQL with bound parameters (`$1`, `$2`, … sent separately by the driver) in the entity
 * manager's transaction, or on its pool outside one. `em.execute` inlines its parameters into the
 * SQL text on the client (escaping every character of a value), which costs the persisters more
 * CPU than their whole batch's Postgres work once a batch carries a few hundred rows as JSON.
 */
export async function query<R = Record<string, unknown>>(em: EntityManager, sql: string, params: readonly unknown[] = []): Promise<R[]> {
  const target = (em.getTransactionContext<Transaction<unknown>>() ?? em.getConnection().getClient()) as Kysely<unknown>;
  const result = await target.executeQuery<R>(CompiledQuery.raw(sql, [...params]));
  return result.rows;
}
