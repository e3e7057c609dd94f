import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { subgraphIdentitySecret } from '@finder/platform/auth';

export const ROOT_DIR = join(import.meta.dirname, '../../..');

/**
 * What a subgraph server started from the stack's environment needs beside it: its own identity
 * key, derived from the gateways' secret as `./dev up` derives it (stack.env holds only the secret).
 */
export function subgraphServerEnv(env: Record<string, string>, subgraph: string): Record<string, string> {
  return { SUBGRAPH_IDENTITY_SECRET: subgraphIdentitySecret(env.IDENTITY_SECRET!, subgraph) };
}

/**
 * The running stack's settings: from the environment (`./dev test` exports them) or, when a test
 * is run by hand, from the `.state/stack.env` that `./dev up` wrote.
 */
export function stackEnv(): Record<string, string> {
  const file = join(process.env.STATE_DIR ?? join(ROOT_DIR, '.state'), 'stack.env');
  const fromFile: Record<string, string> = {};
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const match = /^(?:export\s+)?([A-Z0-9_]+)=(.*)$/.exec(line.trim());
      if (match) fromFile[match[1]!] = unquote(match[2]!);
    }
  }
  const env = { ...fromFile, ...(process.env as Record<string, string>) };
  for (const required of ['PUBLIC_URL', 'DATABASE_URL', 'KAFKA_BROKERS', 'IDENTITY_SECRET']) {
    if (!env[required]) throw new Error(`${required} is not set: start the stack with ./dev up (or run ./dev test)`);
  }
  if (!env.REDIS_URL && !env.REDIS_CLUSTER_NODES) throw new Error('neither REDIS_URL nor REDIS_CLUSTER_NODES is set: start the stack with ./dev up (or run ./dev test)');
  return env;
}

function unquote(value: string): string {
  if ((value.startsWith("'") && value.endsWith("'")) || (value.startsWith('"') && value.endsWith('"'))) return value.slice(1, -1);
  return value;
}

/** The pid of a service the stack started (`./dev up` keeps them in .state/pids/<name>.pid). */
export function stackPid(name: string): number {
  const file = join(process.env.STATE_DIR ?? join(ROOT_DIR, '.state'), 'pids', `${name}.pid`);
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no pid in ${file}`);
  return pid;
}

/**
 * Gateway budgets and socket caps far above what one load generator on 127.0.0.1 needs, for
 * gateways a benchmark starts with an environment of its own (./dev up writes the same values into
 * .state/stack.env, so gateways started with the stack's environment have them already).
 */
export const LOAD_GENERATOR_LIMITS: Record<string, string> = {
  ...Object.fromEntries(
    ['COST', 'LOGIN_PER_ACCOUNT', 'LOGIN_PER_ADDRESS', 'REGISTER', 'REQUEST_PASSWORD_RESET', 'CREATE_UPLOAD', 'REQUEST_CONVERSION', 'START_CONVERSATION', 'REQUEST_ENGAGEMENT', 'SEARCH_PROFESSIONALS'].map(
      (name) => [`BUDGET_${name}`, '100000000/1m'],
    ),
  ),
  WS_MAX_CONNECTIONS_PER_ADDRESS: '100000',
  WS_MAX_CONNECTIONS_PER_USER: '100000',
};
