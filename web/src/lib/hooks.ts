import { useCallback, useEffect, useRef, useState } from 'react';
import { fetchBlob } from '../api/dupa';

/** Loads data with a reload function; keeps the last error for display. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    load(controller.signal)
      .then((value) => {
        if (!controller.signal.aborted) {
          setData(value);
          setError(null);
        }
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setError(e);
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, generation]);
  return { data, error, loading, reload, setData };
}

/** Runs an action, remembering whether it runs and how it failed. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async <T,>(action: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await action();
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}

/**
 * An object URL for an authenticated file (an <img> cannot send the bearer token), fetched once the element
 * is near the viewport when `lazy`, and revoked when it is no longer shown.
 */
export function useBlobUrl(url: string | null, lazy = false) {
  const [objectUrl, setObjectUrl] = useState<string | null>(null);
  const [blob, setBlob] = useState<Blob | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [visible, setVisible] = useState(!lazy);
  const ref = useRef<HTMLElement | null>(null);
  useEffect(() => {
    if (!lazy || visible || !ref.current || typeof IntersectionObserver === 'undefined') {
      if (lazy && typeof IntersectionObserver === 'undefined') setVisible(true);
      return;
    }
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) setVisible(true);
    }, { rootMargin: '200px' });
    observer.observe(ref.current);
    return () => observer.disconnect();
  }, [lazy, visible]);
  useEffect(() => {
    if (!url || !visible) return;
    const controller = new AbortController();
    let created: string | null = null;
    fetchBlob(url, controller.signal)
      .then((b) => {
        created = URL.createObjectURL(b);
        setBlob(b);
        setObjectUrl(created);
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setError(e);
      });
    return () => {
      controller.abort();
      if (created) URL.revokeObjectURL(created);
      setObjectUrl(null);
      setBlob(null);
    };
  }, [url, visible]);
  return { objectUrl, blob, error, ref };
}
