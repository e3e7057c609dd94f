/** One line per phase on stderr, with the time since the run started, so a long run shows where it is. */
export function createProgress(label: string) {
  const started = performance.now();
  return (phase: string) => {
    const seconds = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
    process.stderr.write(`[${label} ${seconds}s] ${phase}\n`);
  };
}

export type Progress = ReturnType<typeof createProgress>;
