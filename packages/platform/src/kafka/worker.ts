/** A long-running part of a process (a persister, a consumer) that a service starts, stops and reports ready. */
export interface Worker {
  start(): Promise<void>;
  stop(): Promise<void>;
  readiness(): { ready: boolean; detail: string };
}
