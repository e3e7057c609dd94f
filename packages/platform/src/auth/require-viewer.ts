import { unauthenticated } from '../config/errors.ts';
import type { Viewer } from './identity.ts';

/** The signed-in caller, or `UNAUTHENTICATED`: the one guard of every field that needs a viewer. */
export function requireViewer(viewer: Viewer | null | undefined): Viewer {
  if (!viewer) throw unauthenticated();
  return viewer;
}
