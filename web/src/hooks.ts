import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { client } from './client.ts';
import { describeError, type Problem } from './errors.ts';

type Session = ReturnType<typeof client.session.current>;
type ConnectionState = typeof client.connection.state;

export function useSession(): Session {
  const [session, setSession] = useState(() => client.session.current());
  useEffect(() => client.session.onChange(setSession), []);
  return session;
}

export function useConnection(): ConnectionState {
  const [state, setState] = useState(() => client.connection.state);
  useEffect(() => client.connection.onChange(() => setState(client.connection.state)), []);
  return state;
}

export interface Loaded<T> {
  data: T | undefined;
  problem: Problem | undefined;
  loading: boolean;
  reload(): void;
}

/** Runs `load` when `deps` change and keeps its latest answer (an older, slower answer never wins). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; problem?: Problem; loading: boolean }>({ loading: true });
  const [nonce, setNonce] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const ticket = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => ticket === latest.current && setState({ data, loading: false }),
      (err: unknown) => ticket === latest.current && setState({ problem: describeError(err), loading: false }),
    );
  }, [...deps, nonce]);
  const reload = useCallback(() => setNonce((n) => n + 1), []);
  return { data: state.data, problem: state.problem, loading: state.loading, reload };
}

/** Runs an action (a mutation), exposing whether it is running and the problem it last met. */
export function useAction<A extends unknown[], R>(action: (...args: A) => Promise<R>) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>();
  const run = useCallback(
    async (...args: A): Promise<R | undefined> => {
      setBusy(true);
      setProblem(undefined);
      try {
        return await action(...args);
      } catch (err) {
        setProblem(describeError(err));
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [action],
  );
  return { run, busy, problem, setProblem };
}
