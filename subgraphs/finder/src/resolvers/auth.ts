import type { Viewer } from '@finder/platform/auth';
import { unauthenticated } from '@finder/platform/config';

/** Everything in finder needs a signed-in caller. */
export function signedIn(viewer: Viewer | null): Viewer {
  if (!viewer) throw unauthenticated();
  return viewer;
}
