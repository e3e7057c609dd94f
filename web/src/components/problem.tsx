import type { Problem } from '../errors.ts';

/** A problem shown where it happened; `role=alert` so screen readers (and tests) find it. */
export function ProblemMessage({ problem }: { problem: Problem | undefined }) {
  if (!problem) return null;
  return (
    <p class="problem" role="alert">
      {problem.message}
    </p>
  );
}
