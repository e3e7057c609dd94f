import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT_DIR } from '@finder/testing/stack';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CONFIG, IDENTITY_SECRET_NAME, PROCESSES, processEnvs, SECRET_KEYS } from '../manifests.ts';

/** The models of the kinds the manifests use; each validates against the Kubernetes schemas. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

type Doc = { apiVersion: string; kind: string; metadata: { name: string }; spec?: any };
const mebibytes = (quantity: string): number => {
  const match = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!match) throw new Error(`memory quantity ${quantity} is not in Mi or Gi`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
};
const docs = (): Doc[] => parseAllDocuments(readFileSync(join(ROOT_DIR, 'deploy/k8s/finder.yaml'), 'utf8')).map((d) => d.toJS() as Doc);

describe('Kubernetes manifests (deploy/k8s)', () => {
  it('are what manifests.ts gives (npm run k8s)', () => {
    expect(() => execFileSync(process.execPath, [join(ROOT_DIR, 'deploy/k8s/render.ts'), '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it('validate against the Kubernetes schemas, offline', () => {
    const all = docs();
    expect(all.length).toBeGreaterThan(20);
    for (const doc of all) {
      const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
      expect(Model, `${doc.apiVersion} ${doc.kind} has no model here`).toBeDefined();
      expect(() => new Model!(doc as never).validate(), `${doc.kind}/${doc.metadata.name}`).not.toThrow();
    }
    // The check itself refuses a broken manifest.
    const broken = structuredClone(all.find((d) => d.kind === 'Deployment')!);
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(() => new Deployment(broken as never).validate()).toThrow(/containerPort/);
  });

  it('run every process with probes, requests, a drain longer than its own, and a gateway disruption budget', () => {
    const all = docs();
    const deployments = all.filter((d) => d.kind === 'Deployment');
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(PROCESSES.map((p) => p.name).sort());
    const grace = Number(CONFIG.SHUTDOWN_GRACE_MS) / 1000;
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      const [container] = pod.containers;
      expect(container.readinessProbe.httpGet.path, d.metadata.name).toBe('/readyz');
      expect(container.livenessProbe.httpGet.path, d.metadata.name).toBe('/healthz');
      expect(container.resources.requests.memory, d.metadata.name).toMatch(/^\d+Mi$/);
      expect(container.resources.requests.cpu, d.metadata.name).toMatch(/^\d+m$/);
      // SIGTERM after the pre-stop pause, then the process's own drain, inside the grace period.
      const preStop = Number(container.lifecycle.preStop.exec.command[1]);
      expect(pod.terminationGracePeriodSeconds, d.metadata.name).toBeGreaterThan(preStop + grace);
      expect(d.spec.strategy.rollingUpdate.maxUnavailable, d.metadata.name).toBe(0);
      // Probes reach the container's own port, and a pod may grow to its limit, never below its request.
      const ports = container.ports.map((p: { name: string }) => p.name);
      for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe]) expect(ports, d.metadata.name).toContain(probe.httpGet.port);
      expect(mebibytes(container.resources.limits.memory), d.metadata.name).toBeGreaterThanOrEqual(mebibytes(container.resources.requests.memory));
    }
    // Every container, the migration Jobs' included, runs unprivileged on a read-only root.
    for (const d of all.filter((doc) => doc.kind === 'Deployment' || doc.kind === 'Job')) {
      for (const c of d.spec.template.spec.containers) {
        expect(c.securityContext, `${d.kind}/${d.metadata.name}`).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        expect(mebibytes(c.resources.limits.memory), `${d.kind}/${d.metadata.name}`).toBeGreaterThanOrEqual(mebibytes(c.resources.requests.memory));
      }
      expect(d.spec.template.spec.automountServiceAccountToken, `${d.kind}/${d.metadata.name}`).toBe(false);
    }
    expect(deployments.find((d) => d.metadata.name === 'gateway')!.spec.replicas).toBeGreaterThanOrEqual(2);
    const pdb = all.find((d) => d.kind === 'PodDisruptionBudget')!;
    expect(pdb.spec.selector.matchLabels).toEqual(deployments.find((d) => d.metadata.name === 'gateway')!.spec.selector.matchLabels);
    expect(pdb.spec.minAvailable).toBe(1);
    // Each pod holds only the keys and secrets its PROCESS_ENVS row gives it (as ./dev and compose).
    const envs = processEnvs();
    for (const d of deployments) {
      const [container] = d.spec.template.spec.containers;
      const names: string[] = container.env.map((e: { name: string }) => e.name);
      const allowed = envs.get(d.metadata.name)!;
      const held = names.filter((n) => /_KEY_FILE$|_SECRET$|^AWS_/.test(n)).map((n) => n.replace(/_FILE$/, '').replace(/^AWS_.*/, 'S3_CREDENTIALS'));
      expect([...new Set(held)].sort(), d.metadata.name).toEqual(allowed.secrets.filter((s) => s !== 'S3_CREDENTIALS' || held.includes(s)).sort());
      expect(names.includes('DATABASE_URL'), d.metadata.name).toBe(allowed.database !== null);
      const keyFiles = (d.spec.template.spec.volumes.find((v: { name: string }) => v.name === 'keys')?.secret.items ?? []).map((i: { key: string }) => i.key);
      expect(keyFiles.length, d.metadata.name).toBe(held.filter((h) => /_KEY$/.test(h)).length);
    }
    expect(deployments.find((d) => d.metadata.name === 'chat-persister')!.spec.template.spec.containers[0].env.map((e: { name: string }) => e.name)).toEqual(['DATABASE_URL', 'DATABASE_REPLICA_URLS']);
    // The identity: the gateways alone hold the root secret; each subgraph server its own
    // subgraph's key (the key of finder-identity named after it), which no other pod is given.
    type EnvVar = { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };
    const refs = (d: Doc): EnvVar[] => d.spec.template.spec.containers[0].env;
    const identityKeys = new Map<string, string>();
    for (const d of deployments) {
      const root = refs(d).find((e) => e.name === 'IDENTITY_SECRET');
      expect(Boolean(root), d.metadata.name).toBe(d.metadata.name === 'gateway');
      if (root) expect(root.valueFrom?.secretKeyRef, d.metadata.name).toEqual({ name: 'finder-secrets', key: 'IDENTITY_SECRET', optional: false });
      for (const e of refs(d).filter((v) => v.valueFrom?.secretKeyRef?.name === IDENTITY_SECRET_NAME)) {
        expect(e.name, d.metadata.name).toBe('SUBGRAPH_IDENTITY_SECRET');
        expect(identityKeys.has(e.valueFrom!.secretKeyRef!.key), `${d.metadata.name}: ${e.valueFrom!.secretKeyRef!.key} given twice`).toBe(false);
        identityKeys.set(e.valueFrom!.secretKeyRef!.key, d.metadata.name);
      }
    }
    expect(Object.fromEntries(identityKeys)).toEqual({ users: 'users', chat: 'chat', finder: 'finder', files: 'files' });
    // Secrets come from Secrets only, never from the ConfigMap.
    for (const key of Object.keys(CONFIG)) expect(SECRET_KEYS.includes(key) || /SECRET|PASSWORD|TOKEN/.test(key), key).toBe(false);
    // Every Service selects pods of a Deployment; every subgraph URL names a Service.
    const services = all.filter((d) => d.kind === 'Service');
    for (const s of services) expect(deployments.some((d) => JSON.stringify(d.spec.selector.matchLabels) === JSON.stringify(s.spec.selector))).toBe(true);
    for (const [key, value] of Object.entries(CONFIG).filter(([k]) => /_URL$|_URLS$/.test(k) && !/^(PUBLIC|APP|FILES_PUBLIC|REDIS)_URL$/.test(k))) {
      const host = new URL(value.split(',')[0]!).hostname.split('.')[0];
      expect(services.map((s) => s.metadata.name), key).toContain(host);
    }
  });
});
