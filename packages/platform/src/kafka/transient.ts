/**
 * True for failures that say "try again later" (database or network down) rather than
 * "this event can never be applied". Transient failures retry the whole batch; the rest
 * reject the one event.
 */
export function isTransient(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, sqlState, message } = e as { code?: unknown; sqlState?: unknown; message?: unknown };
    const state = typeof sqlState === 'string' ? sqlState : typeof code === 'string' ? code : '';
    // 08 connection, 53 resources, 57 operator intervention, 40001/40P01 serialization/deadlock
    if (/^(08|53|57|58)/.test(state) || state === '40001' || state === '40P01') return true;
    if (/^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN)$/.test(state)) return true;
    if (typeof message === 'string' && /Connection terminated|connection (is )?closed|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message)) return true;
  }
  return false;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
