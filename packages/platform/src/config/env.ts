import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_FETCH_WAIT } from '../kafka/group-consumer.ts';

/** Raised by {@link parseEnv}; lists every invalid variable at once. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function parseEnv<S extends z.ZodType>(schema: S, source: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(source);
  if (result.success) {
    const weak = source.NODE_ENV === 'production' ? weakSecrets(source) : [];
    if (weak.length > 0) throw new ConfigError(weak);
    return result.data;
  }
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(root)';
    const value = issue.path.length === 1 ? source[String(issue.path[0])] : undefined;
    const shown = value === undefined ? 'missing' : `got ${JSON.stringify(redact(name, value))}`;
    return `${name}: ${issue.message} (${shown})`;
  });
  throw new ConfigError(problems);
}

/** Parses the environment or stops the process with a message naming every bad variable. */
export function loadEnv<S extends z.ZodType>(schema: S, source: NodeJS.ProcessEnv = process.env): z.infer<S> {
  try {
    return parseEnv(schema, source);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

/** Words that mark a value someone was meant to replace: a default from an example or compose file. */
const PLACEHOLDER = /replace|change[-_ ]?me|example|placeholder|default|compose-only|secret|password|dummy/i;

/**
 * In production every `*_SECRET` that is set must look like a secret: at least 32 characters,
 * not a placeholder, and not a run of a few repeated characters. A public default (as an example
 * file or a compose file may carry) would let anyone sign identities, reset links or file URLs.
 */
export function weakSecrets(source: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(source)) {
    if (!/_SECRET$/.test(name) || value === undefined || value === '') continue;
    if (value.length < 32) problems.push(`${name}: must be at least 32 characters in production (got ${value.length})`);
    else if (PLACEHOLDER.test(value)) problems.push(`${name}: looks like a placeholder; set a random value (e.g. openssl rand -base64 48)`);
    else if (new Set(value).size < 12) problems.push(`${name}: too few distinct characters to be random; set a random value (e.g. openssl rand -base64 48)`);
  }
  return problems;
}

function redact(name: string, value: string): string {
  return /SECRET|KEY|PASSWORD|TOKEN/i.test(name) ? '<redacted>' : value;
}

// ---- reusable field types -------------------------------------------------

export const boolFromString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const port = z.coerce.number().int().min(0).max(65535);

export const csv = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));

export const url = z.url();

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/**
 * A budget setting, `<points>/<window>`: `10/15m` is 10 per 15 minutes, `100000/1m` an estimated
 * cost of 100,000 per minute (windows in ms, s, m or h).
 */
export const budget = z.string().transform((text, ctx) => {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*(ms|s|m|h)\s*$/.exec(text);
  const points = Number(match?.[1]);
  const durationMs = Number(match?.[2]) * UNIT_MS[(match?.[3] ?? 'ms') as keyof typeof UNIT_MS];
  if (!match || points < 1 || durationMs < 1_000) {
    ctx.addIssue({ code: 'custom', message: 'expected <points>/<window> with points ≥ 1 and a window of at least 1s, such as 10/15m or 100000/1m (units ms, s, m, h)' });
    return z.NEVER;
  }
  return { points, durationMs };
});

const fetchWaitMs = z.coerce.number().int().min(1).max(30_000);

/** A PEM given inline (`\n` escapes allowed) or read from a file by a sibling `*_FILE` variable. */
export function pemFrom(source: NodeJS.ProcessEnv, name: string): string | undefined {
  const inline = source[name];
  if (inline) return inline.replace(/\\n/g, '\n');
  const file = source[`${name}_FILE`];
  if (file) return readFileSync(file, 'utf8');
  return undefined;
}

/**
 * The keys and secrets one role of a process uses, all required. A `*_KEY` is a PEM given inline or
 * by a sibling `*_KEY_FILE`; a `*_SECRET` needs at least 32 characters (and, in production, not a
 * placeholder: weakSecrets). Each process is given only the ones its role loads (scripts/dev/env.sh
 * writes the local environments, docker-compose.yml the same per service), so a persister or worker
 * holds no signing key at all.
 */
export function parseSecrets<const N extends string>(names: readonly N[], source: NodeJS.ProcessEnv = process.env): Record<N, string> {
  const values = {} as Record<N, string>;
  const problems: string[] = [];
  for (const name of names) {
    const value = name.endsWith('_KEY') ? pemFrom(source, name) : source[name];
    if (!value) problems.push(`${name}: required${name.endsWith('_KEY') ? `, inline or as ${name}_FILE` : ''} (missing)`);
    else if (name.endsWith('_SECRET') && value.length < 32) problems.push(`${name}: must be at least 32 characters (got ${value.length})`);
    else values[name] = value;
  }
  if (source.NODE_ENV === 'production') problems.push(...weakSecrets(values));
  if (problems.length > 0) throw new ConfigError(problems);
  return values;
}

/** {@link parseSecrets}, or stops the process naming every missing or weak one. */
export function loadSecrets<const N extends string>(names: readonly N[], source: NodeJS.ProcessEnv = process.env): Record<N, string> {
  try {
    return parseSecrets(names, source);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

// ---- groups shared by every process ---------------------------------------

export const baseEnv = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().default('127.0.0.1'),
  PORT: port,
  SHUTDOWN_GRACE_MS: z.coerce.number().int().positive().default(10_000),
});

export const databaseEnv = z.object({
  DATABASE_URL: z.url().refine((v) => v.startsWith('postgres'), 'must be a postgres:// URL'),
  DATABASE_REPLICA_URLS: csv.default([]),
  DATABASE_POOL_MAX: z.coerce.number().int().positive().default(10),
});

export interface ClusterSeed {
  host: string;
  port: number;
}

export const redisUrl = z.url().refine((v) => v.startsWith('redis'), 'must be a redis:// URL');

/**
 * An empty value counts as not set (compose's `${NAME:-}`, or a process that must not inherit the
 * other of two exclusive settings).
 */
function unsetWhenEmpty<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === '' ? undefined : value), schema);
}

/** `host:port,host:port`: a few of the cluster's nodes (any of them, masters or replicas). */
export const redisClusterNodes = z.string().transform((text, ctx) => {
  const entries = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (entries.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'expected host:port[,host:port...], the seed nodes of the cluster' });
    return z.NEVER;
  }
  const nodes: ClusterSeed[] = [];
  for (const entry of entries) {
    const match = /^(\[[0-9a-fA-F:]+\]|[^:\s/]+):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) {
      ctx.addIssue({ code: 'custom', message: `'${entry}' is not host:port (expected host:port[,host:port...], e.g. 10.0.0.5:6379,10.0.0.6:6379)` });
      return z.NEVER;
    }
    nodes.push({ host: match[1]!.replace(/^\[|\]$/g, ''), port });
  }
  return nodes;
});

/**
 * The Redis settings; {@link redisTarget} checks that exactly one of REDIS_URL and REDIS_CLUSTER_NODES
 * is set where Redis is required. A URL carries its own credentials and TLS (`rediss://`); a
 * cluster's nodes take them from REDIS_CLUSTER_USERNAME, REDIS_CLUSTER_PASSWORD and REDIS_CLUSTER_TLS.
 */
export const redisSettings = {
  REDIS_URL: unsetWhenEmpty(redisUrl.optional()),
  REDIS_CLUSTER_NODES: unsetWhenEmpty(redisClusterNodes.optional()),
  REDIS_CLUSTER_USERNAME: unsetWhenEmpty(z.string().optional()),
  REDIS_CLUSTER_PASSWORD: unsetWhenEmpty(z.string().optional()),
  REDIS_CLUSTER_TLS: boolFromString.default(false),
};

/** One Redis or a Redis Cluster: redisTarget (redis.ts) requires exactly one of the two. */
export const redisEnv = z.object(redisSettings);

export const kafkaEnv = z.object({
  KAFKA_BROKERS: csv.refine((v) => v.length > 0, 'at least one broker'),
  KAFKA_CLIENT_ID: z.string().optional(),
  /** On against real Kafka; the local Kafka-protocol mock cannot do idempotent producers. */
  KAFKA_IDEMPOTENT: boolFromString.default(false),
  /**
   * How long a fetch that finds nothing waits at the broker. Kafka (and the local broker, through
   * its long-poll proxy) answers as soon as an event arrives, so the wait costs no latency: it sets
   * how often an idle consumer asks again, heartbeats (kafkajs beats between fetches; the session
   * times out after 10 s) and hears of a rebalance, and how long a graceful stop waits for the
   * fetch in flight.
   */
  KAFKA_PERSISTER_FETCH_WAIT_MS: fetchWaitMs.default(DEFAULT_FETCH_WAIT.persisterMs),
  KAFKA_CONSUMER_FETCH_WAIT_MS: fetchWaitMs.default(DEFAULT_FETCH_WAIT.consumerMs),
});

export const writePathEnv = z.object({
  WRITE_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
});

/**
 * Everything a subgraph process reads, whatever its role: its port, Postgres, Redis, Kafka, the
 * write path. Keys and secrets are not here: each role loads only the ones it uses (loadSecrets).
 */
export const subgraphEnv = baseEnv
  .extend(databaseEnv.shape)
  .extend(redisEnv.shape)
  .extend(kafkaEnv.shape)
  .extend(writePathEnv.shape)
  .extend({
    MAX_BODY_BYTES: z.coerce.number().int().positive().default(1024 * 1024),
    /** Queries from compiled code where the answer is Apollo Server's exactly (compiled-execution.ts). */
    COMPILED_EXECUTION: boolFromString.default(true),
  });
