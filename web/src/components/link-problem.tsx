import type { Problem } from '../errors.ts';
import { Link } from '../router.tsx';
import { ProblemMessage } from './problem.tsx';

/** A mailed link the server refused (invalid, expired, used or superseded), or one without its token: a way to start again. */
export function LinkProblem({ problem, href, action }: { problem: Problem; href: string; action: string }) {
  return (
    <div class="card">
      <ProblemMessage problem={problem} />
      <p>
        <Link href={href}>{action}</Link>
      </p>
    </div>
  );
}

export const NO_TOKEN: Problem = { message: 'This link has no token. Open the link from the mail again.' };
