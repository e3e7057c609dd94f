/**
 * HTTP load generator, run as its own process (forkWorker): a fixed number of lanes, each sending
 * its next POST as soon as the previous one answered (closed loop, keep-alive connections), like
 * autocannon; or, with `ratePerSecond`, requests on a fixed schedule whatever the answers (open
 * loop, at most `concurrency` outstanding). A response counts as an error unless it is a 200
 * without GraphQL `errors`.
 */
import { Agent, request } from 'node:http';
import { cpuTimeMs } from './cpu-time.ts';
import { residentBytes } from './process-memory.ts';
import { percentile, wallClockMs } from './stats.ts';
import { serveRequests } from './worker.ts';

export interface HttpLoadPlan {
  url: string;
  /** Sent in turn; each lane starts at a different one. */
  requests: { body: string; headers: Record<string, string> }[];
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Pause after each answer, per lane: 0 (default) is a closed loop at full speed. */
  intervalMs?: number;
  /**
   * Open loop: this many requests per second on a schedule, whatever the answers; `concurrency`
   * then caps what is outstanding (a request due beyond it is not sent, and counted as an error).
   */
  ratePerSecond?: number;
  /** A process whose CPU time and RSS are read at the edges of the measured window. */
  watchPid?: number;
  /** More processes (by name) whose CPU time is read at the same edges: what serves the watched one. */
  alsoWatch?: Record<string, number>;
}

export interface HttpLoadResult {
  requests: number;
  errors: number;
  errorSample: string | null;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  responseBytes: number;
  /** CPU time of the watched process per 1,000 requests of the window (ms). */
  cpuMsPer1000: number | null;
  watchedRssBytes: number | null;
  /** CPU time of each `alsoWatch` process per 1,000 requests of the window (ms). */
  alsoCpuMsPer1000: Record<string, number>;
}

async function run(plan: HttpLoadPlan): Promise<HttpLoadResult> {
  const url = new URL(plan.url);
  const agent = new Agent({ keepAlive: true, maxSockets: plan.concurrency });
  const latencies: number[] = [];
  let errors = 0;
  let errorSample: string | null = null;
  let responseBytes = 0;
  let measuring = false;
  let stopped = false;

  const send = (index: number) =>
    new Promise<void>((resolve) => {
      const { body, headers } = plan.requests[index % plan.requests.length]!;
      const started = wallClockMs();
      const req = request(
        { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            if (measuring) {
              const text = Buffer.concat(chunks);
              // A cheap check: parsing 100 KB responses would make the generator the bottleneck.
              const failed = res.statusCode !== 200 || text.includes('"errors":');
              if (failed) {
                errors++;
                errorSample ??= `${res.statusCode}: ${text.toString('utf8', 0, 300)}`;
              } else {
                latencies.push(wallClockMs() - started);
                responseBytes = text.length;
              }
            }
            resolve();
          });
        },
      );
      req.on('error', (err) => {
        if (measuring) {
          errors++;
          errorSample ??= err.message;
        }
        resolve();
      });
      req.end(body);
    });

  const lane = async (start: number) => {
    for (let i = start; !stopped; i++) {
      await send(i);
      if (plan.intervalMs) await new Promise((r) => setTimeout(r, plan.intervalMs));
    }
  };
  /** Sends what the schedule says is due every millisecond or so: the open loop. */
  const scheduled = async () => {
    const interval = 1000 / plan.ratePerSecond!;
    let outstanding = 0;
    let next = wallClockMs();
    for (let i = 0; !stopped; ) {
      while (wallClockMs() >= next && !stopped) {
        next += interval;
        if (outstanding >= plan.concurrency) {
          if (measuring) {
            errors++;
            errorSample ??= `over ${plan.concurrency} requests outstanding at ${plan.ratePerSecond}/s`;
          }
          continue;
        }
        outstanding++;
        void send(i++).then(() => outstanding--);
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    while (outstanding > 0) await new Promise((r) => setTimeout(r, 5));
  };
  const lanes = plan.ratePerSecond ? [scheduled()] : Array.from({ length: plan.concurrency }, (_, i) => lane(i));
  await new Promise((r) => setTimeout(r, plan.warmupMs));
  const cpuBefore = plan.watchPid ? cpuTimeMs(plan.watchPid) : 0;
  const alsoBefore = Object.entries(plan.alsoWatch ?? {}).map(([name, pid]) => [name, pid, cpuTimeMs(pid)] as const);
  const startedAt = wallClockMs();
  measuring = true;
  await new Promise((r) => setTimeout(r, plan.durationMs));
  measuring = false;
  const elapsedMs = wallClockMs() - startedAt;
  const cpuUsed = plan.watchPid ? cpuTimeMs(plan.watchPid) - cpuBefore : 0;
  const alsoUsed = alsoBefore.map(([name, pid, before]) => [name, cpuTimeMs(pid) - before] as const);
  const watchedRssBytes = plan.watchPid ? residentBytes(plan.watchPid) : null;
  stopped = true;
  await Promise.all(lanes);
  agent.destroy();

  const sorted = Float64Array.from(latencies).sort();
  const completed = latencies.length + errors;
  return {
    requests: latencies.length,
    errors,
    errorSample,
    requestsPerSecond: (latencies.length * 1000) / elapsedMs,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    responseBytes,
    cpuMsPer1000: plan.watchPid && completed > 0 ? (cpuUsed * 1000) / completed : null,
    watchedRssBytes,
    alsoCpuMsPer1000: Object.fromEntries(alsoUsed.map(([name, used]) => [name, completed > 0 ? (used * 1000) / completed : Number.NaN])),
  };
}

serveRequests({ run: (message: HttpLoadPlan) => run(message) });
