import type { ApolloGateway } from '@apollo/gateway';
import { createCompiledExecutor, type CompiledExecutorOptions } from './executor.ts';

/**
 * The ApolloGateway as ApolloServer sees it (schema, loading, stopping), with the compiled
 * executor in front of Apollo's: parsing, validation, plugins (limits, budgets, trusted
 * documents, metrics) run as before; Apollo's executor is the fallback.
 */
export function withCompiledExecutor(gateway: ApolloGateway, options: Omit<CompiledExecutorOptions, 'fallback'>) {
  return {
    async load(loadOptions?: Parameters<ApolloGateway['load']>[0]) {
      const loaded = await gateway.load(loadOptions);
      return { ...loaded, executor: loaded.executor && createCompiledExecutor({ ...options, fallback: loaded.executor }) };
    },
    onSchemaLoadOrUpdate: (callback: Parameters<ApolloGateway['onSchemaLoadOrUpdate']>[0]) => gateway.onSchemaLoadOrUpdate(callback),
    stop: () => gateway.stop(),
  };
}
