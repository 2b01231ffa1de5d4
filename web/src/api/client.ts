import { ApiError, errorFromResponse } from './errors';
import type { LoginResponse, User } from './types';

type Fetch = typeof fetch;

export interface RequestOptions {
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

const csrf = { 'X-Dupa-CSRF': '1' };

/**
 * The node's REST API with a session: a short-lived access token kept in memory only (never in storage a
 * script could read later), renewed silently from the HttpOnly refresh cookie a minute before it expires
 * and once more when a request answers 401.
 */
export class ApiClient {
  private token: string | null = null;
  private expiresAt = 0;
  private refreshing: Promise<boolean> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private listeners = new Set<(user: User | null) => void>();
  user: User | null = null;

  constructor(
    private readonly base = '',
    private readonly fetchImpl: Fetch = (...args) => fetch(...args),
    private readonly now: () => number = () => Date.now(),
  ) {}

  onChange(listener: (user: User | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends a request with the access token; a 401 refreshes the session once and retries. Errors become ApiError. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    if (this.token && this.now() > this.expiresAt - 30_000) {
      await this.refresh();
    }
    let response = await this.send(method, path, options);
    if (response.status === 401 && this.token !== null && !path.startsWith('/api/v1/auth/')) {
      if (await this.refresh()) {
        response = await this.send(method, path, options);
      }
    }
    if (!response.ok) {
      throw await errorFromResponse(response);
    }
    return response;
  }

  async json<T>(method: string, path: string, json?: unknown): Promise<T> {
    const response = await this.request(method, path, json === undefined ? {} : { json });
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T>(path: string): Promise<T> {
    return this.json<T>('GET', path);
  }

  /** A valid access token for transports that cannot use request(): XHR uploads, the event WebSocket. */
  async accessToken(): Promise<string> {
    if (!this.token || this.now() > this.expiresAt - 30_000) {
      if (!(await this.refresh())) throw new ApiError(401, 'session_expired', 'Your session has ended. Please log in again.');
    }
    return this.token!;
  }

  async login(username: string, password: string): Promise<User> {
    const response = await this.fetchImpl(this.base + '/api/v1/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password }),
      credentials: 'same-origin',
    });
    if (!response.ok) throw await errorFromResponse(response);
    this.accept((await response.json()) as LoginResponse);
    return this.user!;
  }

  async setup(token: string, username: string, password: string): Promise<void> {
    const response = await this.fetchImpl(this.base + '/api/v1/auth/setup', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token, username, password }),
    });
    if (!response.ok) throw await errorFromResponse(response);
  }

  async logout(): Promise<void> {
    try {
      await this.fetchImpl(this.base + '/api/v1/auth/logout', { method: 'POST', headers: csrf, credentials: 'same-origin' });
    } finally {
      this.clear();
    }
  }

  /** Resumes a session from the refresh cookie (a page reload); false when there is none. */
  restore(): Promise<boolean> {
    return this.refresh();
  }

  /**
   * Exchanges the refresh cookie for a new access token. The cookie rotates and a used one revokes the
   * session, so concurrent callers share one request and tabs take turns through a Web Lock.
   */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.withLock(() => this.doRefresh()).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async withLock<T>(action: () => Promise<T>): Promise<T> {
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
    return locks ? locks.request('dupa-refresh', action) : action();
  }

  private async doRefresh(): Promise<boolean> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.base + '/api/v1/auth/refresh', { method: 'POST', headers: csrf, credentials: 'same-origin' });
    } catch {
      return false;
    }
    if (!response.ok) {
      this.clear();
      return false;
    }
    this.accept((await response.json()) as LoginResponse);
    return true;
  }

  private accept(login: LoginResponse) {
    const changed = this.user?.id !== login.user.id;
    this.token = login.accessToken;
    this.expiresAt = this.now() + login.expiresIn * 1000;
    this.user = login.user;
    clearTimeout(this.timer);
    // Renew a minute early so an open page never meets an expired token.
    this.timer = setTimeout(() => void this.refresh(), Math.max(5_000, login.expiresIn * 1000 - 60_000));
    if (changed) this.emit();
  }

  private clear() {
    const had = this.user !== null;
    clearTimeout(this.timer);
    this.token = null;
    this.user = null;
    this.expiresAt = 0;
    if (had) this.emit();
  }

  private emit() {
    for (const listener of this.listeners) listener(this.user);
  }

  private send(method: string, path: string, options: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let body = options.body;
    if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    return this.fetchImpl(this.base + path, { method, headers, body, signal: options.signal, credentials: 'same-origin' });
  }
}

/** Encodes a vault path ("/Photos/2024/a b.jpg") for a URL, segment by segment. */
export function encodePath(path: string): string {
  return path
    .split('/')
    .filter((s) => s.length > 0)
    .map(encodeURIComponent)
    .join('/');
}

export const api = new ApiClient();
