/** The web UI's hooks: the hash route, and data loaded from the API (refreshed only while the page is shown). */
import { useEffect, useState } from "preact/hooks";
import { parseRoute, type Route } from "../src/ui-logic/routes.ts";

/** The route of the location's hash, following it as it changes. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", onChange);
    // A change between the first render and now (before the listener) would otherwise be lost.
    onChange();
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

export interface Resource<T> {
  data?: T;
  /** The last request's failure; the data of the one before stays. */
  error?: unknown;
  loading: boolean;
  reload(): void;
}

const status = (error: unknown) => (error as { status?: number } | undefined)?.status;

/**
 * Loads `load()` when the component mounts or `key` changes. With `refreshMs` (a number, or a
 * function of the last data: undefined for no refresh), loads it again that long after each answer,
 * but only while the page is visible (a background tab asks nothing, and asks again as soon as it
 * is shown) and never once the API has said the browser is not logged in.
 */
export function useResource<T>(load: () => Promise<T>, key: string, refreshMs?: number | ((data: T | undefined) => number | undefined)): Resource<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [nonce, setNonce] = useState(0);

  useEffect(() => {
    let alive = true;
    let busy = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let loggedOut = false;
    let latest: T | undefined;
    const interval = () => (typeof refreshMs === "function" ? refreshMs(latest) : refreshMs);
    const schedule = () => {
      const ms = interval();
      if (alive && ms !== undefined && !document.hidden && !busy && timer === undefined && !loggedOut) timer = setTimeout(() => void tick(), ms);
    };
    const tick = async () => {
      timer = undefined;
      busy = true;
      try {
        latest = await load();
        if (alive) setState({ data: latest, loading: false });
      } catch (error) {
        loggedOut = status(error) === 401;
        if (alive) setState((s) => ({ ...s, error, loading: false }));
      }
      busy = false;
      schedule();
    };
    const onVisibility = () => {
      if (document.hidden) {
        clearTimeout(timer);
        timer = undefined;
      } else if (!busy && timer === undefined && !loggedOut && interval() !== undefined) {
        void tick();
      }
    };
    setState((s) => ({ ...s, loading: true }));
    void tick();
    document.addEventListener("visibilitychange", onVisibility);
    return () => {
      alive = false;
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisibility);
    };
    // `load` and `refreshMs` may be new functions each render: `key` says when they ask for something else.
  }, [key, typeof refreshMs === "function" ? "f" : refreshMs, nonce]);

  return { ...state, reload: () => setNonce((n) => n + 1) };
}
