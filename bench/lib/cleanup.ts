/**
 * What a suite started, to be stopped in reverse order: at the end of the suite, and also when the
 * run is interrupted (Ctrl-C), since servers started with spawn would otherwise outlive it.
 */
const stops: (() => Promise<void>)[] = [];

export function onCleanup(stop: () => Promise<void> | void): void {
  stops.push(async () => stop());
}

export async function cleanUp(): Promise<void> {
  while (stops.length > 0) await stops.pop()!().catch(() => undefined);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`${signal}: stopping everything the benchmark started\n`);
    void cleanUp().finally(() => process.exit(130));
  });
}
