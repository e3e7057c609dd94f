import { readFileSync } from 'node:fs';

/**
 * The Kubernetes manifests of Finder Realtime, built from one table of processes (the same
 * processes docker-compose.yml runs; Postgres, Redis and Kafka are the cluster's own services or
 * managed ones, named in the ConfigMap). What each process may hold (its Postgres role, its keys
 * and secrets) comes from PROCESS_ENVS in scripts/dev/stack-env.sh, and its replicas from
 * PRODUCTION_REPLICAS in scripts/dev/config.sh, the tables ./dev and docker-compose.yml follow too. `npm run k8s` writes deploy/k8s/finder.yaml; deploy/k8s/test
 * checks that file is fresh and valid against the Kubernetes schemas.
 */

/** A long-running process: its command, replicas, and requests from the soak's measured RSS. */
interface Process {
  name: string;
  command: string[];
  replicas: number;
  /** Requested memory (MiB): the soak's maximum RSS rounded up; the limit is twice it. */
  memoryMiB: number;
  /** Requested CPU (millicores), from the write-path and gateway benchmarks' CPU per request. */
  cpuMillis: number;
  /** A Service in front of it (subgraph servers and gateways; persisters for their outcomes URL). */
  service: boolean;
}

/** One row of PROCESS_ENVS: the subgraph whose Postgres role it uses (null: none) and its secrets. */
export interface ProcessEnv {
  database: string | null;
  secrets: string[];
}

/** PROCESS_ENVS of scripts/dev/stack-env.sh, by process name (`gateway`, `users`, `migrate-chat`...). */
export function processEnvs(): Map<string, ProcessEnv> {
  const text = readFileSync(new URL('../../scripts/dev/stack-env.sh', import.meta.url), 'utf8');
  const table = text.slice(text.indexOf('PROCESS_ENVS=('), text.indexOf('\n)', text.indexOf('PROCESS_ENVS=(')));
  const rows = [...table.matchAll(/^\s+"([a-z0-9-]+)\|([a-z-]+)\|([A-Z0-9_ ]*)"$/gm)];
  if (rows.length === 0) throw new Error('no PROCESS_ENVS rows in scripts/dev/stack-env.sh');
  return new Map(rows.map(([, name, database, secrets]) => [name!, { database: database === '-' ? null : database!, secrets: secrets!.split(' ').filter(Boolean) }]));
}

/** PRODUCTION_REPLICAS of scripts/dev/config.sh: replicas by process, as docker-compose.yml and ./dev's production topology run them. */
export function productionReplicas(): Map<string, number> {
  const text = readFileSync(new URL('../../scripts/dev/config.sh', import.meta.url), 'utf8');
  const start = text.indexOf('PRODUCTION_REPLICAS=(');
  const rows = [...text.slice(start, text.indexOf('\n)', start)).matchAll(/^\s+"([a-z0-9-]+)\|([0-9]+)"$/gm)];
  if (rows.length === 0) throw new Error('no PRODUCTION_REPLICAS rows in scripts/dev/config.sh');
  return new Map(rows.map(([, name, replicas]) => [name!, Number(replicas)]));
}

export const NAMESPACE = 'finder';
const IMAGE = 'finder-realtime:local';
const PORT = 4000;
/** The process's own drain (SHUTDOWN_GRACE_MS) plus the pre-stop pause, with a margin. */
const SHUTDOWN_GRACE_MS = 20_000;
const PRE_STOP_SECONDS = 5;
const TERMINATION_GRACE_SECONDS = PRE_STOP_SECONDS + SHUTDOWN_GRACE_MS / 1000 + 5;

const node = (script: string, role?: string) => ['node', script, ...(role ? [role] : [])];
const REPLICAS = productionReplicas();
const replicas = (name: string) => {
  const count = REPLICAS.get(name);
  if (count === undefined) throw new Error(`${name} has no row in PRODUCTION_REPLICAS (scripts/dev/config.sh)`);
  return count;
};
const subgraph = (name: string, role: string) => node(`subgraphs/${name}/src/main.ts`, role);

export const PROCESSES: Process[] = [
  { name: 'gateway', command: node('gateway/src/index.ts'), replicas: replicas('gateway'), memoryMiB: 320, cpuMillis: 500, service: true },
  { name: 'users', command: subgraph('users', 'server'), replicas: replicas('users'), memoryMiB: 448, cpuMillis: 250, service: true },
  { name: 'users-persister', command: subgraph('users', 'persister'), replicas: replicas('users-persister'), memoryMiB: 192, cpuMillis: 100, service: true },
  { name: 'users-mailer', command: subgraph('users', 'mailer'), replicas: replicas('users-mailer'), memoryMiB: 192, cpuMillis: 50, service: true },
  { name: 'chat', command: subgraph('chat', 'server'), replicas: replicas('chat'), memoryMiB: 320, cpuMillis: 250, service: true },
  { name: 'chat-persister', command: subgraph('chat', 'persister'), replicas: replicas('chat-persister'), memoryMiB: 288, cpuMillis: 250, service: true },
  { name: 'finder', command: subgraph('finder', 'server'), replicas: replicas('finder'), memoryMiB: 512, cpuMillis: 250, service: true },
  { name: 'finder-persister', command: subgraph('finder', 'persister'), replicas: replicas('finder-persister'), memoryMiB: 192, cpuMillis: 100, service: true },
  { name: 'files', command: subgraph('files', 'server'), replicas: replicas('files'), memoryMiB: 192, cpuMillis: 100, service: true },
  { name: 'files-persister', command: subgraph('files', 'persister'), replicas: replicas('files-persister'), memoryMiB: 192, cpuMillis: 100, service: true },
  { name: 'files-worker', command: subgraph('files', 'worker'), replicas: replicas('files-worker'), memoryMiB: 256, cpuMillis: 250, service: true },
];

/** Schema migrations, one Job per subgraph, run before the processes roll out. */
export const MIGRATIONS = ['users', 'chat', 'finder', 'files'];

const url = (name: string, path = '') => `http://${name}.${NAMESPACE}.svc:${PORT}${path}`;

/** Settings every process reads that are not secret (secrets: the finder-secrets Secret). */
export const CONFIG: Record<string, string> = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'info',
  HOST: '0.0.0.0',
  PORT: String(PORT),
  SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS),
  REDIS_URL: 'redis://redis:6379',
  KAFKA_BROKERS: 'kafka:9092',
  KAFKA_IDEMPOTENT: 'true',
  KAFKAJS_NO_PARTITIONER_WARNING: '1',
  NODE_OPTIONS: '--disable-warning=TimeoutNegativeWarning',
  PUBLIC_URL: 'https://finder.example.com/graphql',
  APP_URL: 'https://finder.example.com',
  FILES_PUBLIC_URL: 'https://finder.example.com',
  FILES_S3_BUCKET: 'finder-files',
  GATEWAY_URLS: url('gateway', '/graphql'),
  SUBGRAPH_USERS_URL: url('users', '/graphql'),
  SUBGRAPH_CHAT_URL: url('chat', '/graphql'),
  SUBGRAPH_FINDER_URL: url('finder', '/graphql'),
  SUBGRAPH_FILES_URL: url('files', '/graphql'),
  USERS_PERSISTER_URL: url('users-persister'),
  USERS_MAILER_URL: url('users-mailer'),
  FINDER_PERSISTER_URL: url('finder-persister'),
  TRUSTED_PROXIES: '10.0.0.0/8',
};

/**
 * Where each secret of PROCESS_ENVS comes from: PEM keys are files of the finder-keys Secret
 * (`jwt-private.pem`, `jwt-public.pem`; mounted one by one, so a pod sees only its own), the
 * gateways' identity root secret (`IDENTITY_SECRET`) and the other secrets keys of finder-secrets,
 * each subgraph server's identity key (`SUBGRAPH_IDENTITY_SECRET`) the key `<subgraph>` of
 * finder-identity, the object store's credentials finder-s3, and each subgraph's database URLs
 * finder-database (`<subgraph>`, `<subgraph>-replicas`: its own role). A pod's environment names
 * single keys of these, so it sees only its own. The operator creates the five Secrets; the keys of
 * finder-identity are derived from IDENTITY_SECRET (subgraphIdentitySecret of
 * packages/platform/src/auth/identity.ts: HKDF-SHA256, salt `finder-realtime identity v1`, info the
 * subgraph's name, 32 bytes, base64url), e.g. for chat:
 *   openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt "key:$IDENTITY_SECRET" \
 *     -kdfopt "salt:finder-realtime identity v1" -kdfopt "info:chat" -binary HKDF | base64 -w0 | tr '+/' '-_' | tr -d '='
 */
const PEM_FILES: Record<string, string> = {
  JWT_PRIVATE_KEY: 'jwt-private.pem',
  JWT_PUBLIC_KEY: 'jwt-public.pem',
};
export const SECRET_KEYS = ['IDENTITY_SECRET', 'USERS_TOKEN_SECRET', 'FILES_URL_SECRET', 'FINDER_CURSOR_SECRET', 'SMTP_URL'];
/** The Secret of the subgraphs' identity keys, one key per subgraph (its name in the supergraph). */
export const IDENTITY_SECRET_NAME = 'finder-identity';

type Manifest = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } };

const labels = (name: string) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'finder-realtime' });
const meta = (name: string) => ({ name, namespace: NAMESPACE, labels: labels(name) });

const secretEnv = (name: string, secret: string, key: string, optional = false) => ({ name, valueFrom: { secretKeyRef: { name: secret, key, optional } } });

/** The subgraph a process verifies identities for: the one whose Postgres role it uses. */
function subgraphOf(name: string, env: ProcessEnv): string {
  if (!env.database) throw new Error(`${name} verifies identities (SUBGRAPH_IDENTITY_SECRET) but belongs to no subgraph in PROCESS_ENVS`);
  return env.database;
}

/** A process's environment and key files: the ConfigMap, then only what its PROCESS_ENVS row gives it. */
function environment(name: string, env: ProcessEnv) {
  const unknown = env.secrets.filter((s) => !(s in PEM_FILES) && !SECRET_KEYS.includes(s) && s !== 'SUBGRAPH_IDENTITY_SECRET' && s !== 'S3_CREDENTIALS');
  if (unknown.length > 0) throw new Error(`${name}: no Secret gives ${unknown.join(', ')} (deploy/k8s/manifests.ts)`);
  const pems = env.secrets.filter((s) => s in PEM_FILES);
  const vars = [
    ...(env.database ? [secretEnv('DATABASE_URL', 'finder-database', env.database), secretEnv('DATABASE_REPLICA_URLS', 'finder-database', `${env.database}-replicas`, true)] : []),
    ...pems.map((s) => ({ name: `${s}_FILE`, value: `/keys/${PEM_FILES[s]}` })),
    ...env.secrets.filter((s) => SECRET_KEYS.includes(s)).map((s) => secretEnv(s, 'finder-secrets', s)),
    ...(env.secrets.includes('SUBGRAPH_IDENTITY_SECRET') ? [secretEnv('SUBGRAPH_IDENTITY_SECRET', IDENTITY_SECRET_NAME, subgraphOf(name, env))] : []),
    ...(env.secrets.includes('S3_CREDENTIALS') ? ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'].map((k) => secretEnv(k, 'finder-s3', k)) : []),
    // The mailer sends through SMTP (its own setting, not a key).
    ...(name === 'users-mailer' ? [secretEnv('SMTP_URL', 'finder-secrets', 'SMTP_URL', true)] : []),
  ];
  const volumes = pems.length > 0 ? [{ name: 'keys', secret: { secretName: 'finder-keys', defaultMode: 0o440, items: pems.map((s) => ({ key: PEM_FILES[s]!, path: PEM_FILES[s]! })) } }] : [];
  const mounts = pems.length > 0 ? [{ name: 'keys', mountPath: '/keys', readOnly: true }] : [];
  return { envFrom: [{ configMapRef: { name: 'finder-config' } }], env: vars, volumes, mounts };
}

const securityContext = { runAsNonRoot: true, runAsUser: 1000, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };

function deployment(p: Process, env: ProcessEnv): Manifest {
  const { envFrom, env: vars, volumes, mounts } = environment(p.name, env);
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: 'http' },
    periodSeconds,
    timeoutSeconds: 3,
    failureThreshold,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(p.name),
    spec: {
      replicas: p.replicas,
      selector: { matchLabels: labels(p.name) },
      // One pod at a time, the new one ready before an old one goes.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: labels(p.name), annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(PORT) } },
        spec: {
          // SIGTERM turns /readyz to 503, closes WebSockets with 1012 (clients reconnect to
          // another pod and resume from their cursors) and drains HTTP within SHUTDOWN_GRACE_MS.
          terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
          automountServiceAccountToken: false,
          containers: [
            {
              name: p.name,
              image: IMAGE,
              command: p.command,
              ports: [{ name: 'http', containerPort: PORT }],
              envFrom,
              env: vars,
              volumeMounts: [...mounts, { name: 'tmp', mountPath: '/tmp' }],
              resources: {
                requests: { cpu: `${p.cpuMillis}m`, memory: `${p.memoryMiB}Mi` },
                limits: { memory: `${p.memoryMiB * 2}Mi` },
              },
              startupProbe: probe('/healthz', 2, 60),
              readinessProbe: probe('/readyz', 5, 2),
              livenessProbe: probe('/healthz', 10, 3),
              // Endpoints drop the pod before it starts draining.
              lifecycle: { preStop: { exec: { command: ['sleep', String(PRE_STOP_SECONDS)] } } },
              securityContext,
            },
          ],
          volumes: [...volumes, { name: 'tmp', emptyDir: {} }],
        },
      },
    },
  };
}

function service(p: Process): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(p.name),
    spec: { selector: labels(p.name), ports: [{ name: 'http', port: PORT, targetPort: 'http' }] },
  };
}

function migration(name: string, env: ProcessEnv): Manifest {
  const { envFrom, env: vars, volumes, mounts } = environment(`migrate-${name}`, env);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(`${name}-migrate`),
    spec: {
      backoffLimit: 3,
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels: labels(`${name}-migrate`) },
        spec: {
          restartPolicy: 'OnFailure',
          automountServiceAccountToken: false,
          containers: [
            {
              name: 'migrate',
              image: IMAGE,
              command: subgraph(name, 'migrate'),
              envFrom,
              // As the subgraph's own role, on the primary alone.
              env: [...vars.filter((v) => v.name !== 'DATABASE_REPLICA_URLS'), { name: 'DATABASE_REPLICA_URLS', value: '' }, { name: 'PORT', value: '0' }],
              volumeMounts: mounts,
              resources: { requests: { cpu: '100m', memory: '192Mi' }, limits: { memory: '384Mi' } },
              securityContext,
            },
          ],
          volumes,
        },
      },
    },
  };
}

/** A process's row of PROCESS_ENVS (a second gateway runs with the first's). */
function envOf(envs: Map<string, ProcessEnv>, name: string): ProcessEnv {
  const env = envs.get(name);
  if (!env) throw new Error(`${name} has no row in PROCESS_ENVS (scripts/dev/stack-env.sh)`);
  return env;
}

export function manifests(): Manifest[] {
  const envs = processEnvs();
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE, labels: labels(NAMESPACE) } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('finder-config'), data: CONFIG },
    ...MIGRATIONS.map((name) => migration(name, envOf(envs, `migrate-${name}`))),
    ...PROCESSES.flatMap((p) => [deployment(p, envOf(envs, p.name)), ...(p.service ? [service(p)] : [])]),
    // At most one gateway away at a time (node drains, upgrades): sockets move to the other.
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta('gateway'),
      spec: { minAvailable: 1, selector: { matchLabels: labels('gateway') } },
    },
  ];
}
