import { describe, expect, it, vi } from 'vitest';
import { ApiClient } from './client';
import { ApiError, messageOf } from './errors';

const problem = (status: number, body: object, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/problem+json', ...headers } });
const ok = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
const login = (token: string) => ok({ accessToken: token, tokenType: 'Bearer', expiresIn: 900, user: { id: 'u1', username: 'ann', role: 'user' } });

describe('ApiClient errors', () => {
  it('turns problem+json into a readable sentence with its code, never raw JSON', async () => {
    const fetch = vi.fn().mockResolvedValue(problem(423, { title: 'Locked', status: 423, detail: 'the vault is locked', code: 'vault_locked' }));
    const client = new ApiClient('', fetch);
    const error = await client.get('/api/v1/vaults/x/tree/').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('vault_locked');
    expect((error as ApiError).status).toBe(423);
    expect(messageOf(error)).toMatch(/^This vault is locked\. Unlock it/);
    expect(messageOf(error)).not.toContain('{');
  });

  it('uses the detail of codes it has no hint for, and says when to retry', async () => {
    const client = new ApiClient('', vi.fn()
      .mockResolvedValueOnce(problem(400, { detail: "'..' is not allowed in a path", code: 'invalid_input' }))
      .mockResolvedValueOnce(problem(429, { code: 'too_many_requests' }, { 'Retry-After': '3' })));
    expect(messageOf(await client.get('/a').catch((e: unknown) => e))).toBe("'..' is not allowed in a path");
    const busy = (await client.get('/b').catch((e: unknown) => e)) as ApiError;
    expect(busy.retryAfter).toBe(3);
    expect(busy.message).toContain('Try again in 3 s.');
  });

  it('describes a non-JSON failure (a proxy page) by its status', async () => {
    const client = new ApiClient('', vi.fn().mockResolvedValue(new Response('<html>Bad Gateway</html>', { status: 502, headers: { 'Content-Type': 'text/html' } })));
    const error = (await client.get('/x').catch((e: unknown) => e)) as ApiError;
    expect(error.message).toMatch(/HTTP 502/);
    expect(error.message).not.toContain('<html>');
  });

  it('reports a network failure as unreachable', () => {
    expect(messageOf(new TypeError('Failed to fetch'))).toMatch(/Cannot reach the node/);
  });
});

describe('ApiClient session', () => {
  it('refreshes once on a 401 and retries the request with the new token', async () => {
    const fetch = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
      const path = String(url);
      if (path.endsWith('/auth/login')) return login('old');
      if (path.endsWith('/auth/refresh')) {
        expect((init?.headers as Record<string, string>)['X-Dupa-CSRF']).toBe('1');
        return login('new');
      }
      const auth = (init?.headers as Record<string, string>).Authorization;
      return auth === 'Bearer new' ? ok([{ id: 'v' }]) : problem(401, { code: 'unauthorized' });
    });
    const client = new ApiClient('', fetch);
    await client.login('ann', 'secret');
    expect(await client.get('/api/v1/vaults')).toEqual([{ id: 'v' }]);
    expect(fetch.mock.calls.filter(([u]) => String(u).endsWith('/auth/refresh'))).toHaveLength(1);
  });

  it('shares one refresh between concurrent callers (a used refresh token would end the session)', async () => {
    let refreshes = 0;
    const client = new ApiClient('', vi.fn(async () => {
      refreshes++;
      await new Promise((r) => setTimeout(r, 10));
      return login('t');
    }));
    const results = await Promise.all([client.refresh(), client.refresh(), client.restore()]);
    expect(results).toEqual([true, true, true]);
    expect(refreshes).toBe(1);
  });

  it('logs out locally when the refresh cookie is refused', async () => {
    const client = new ApiClient('', vi.fn()
      .mockResolvedValueOnce(login('a'))
      .mockResolvedValueOnce(problem(401, { code: 'session_expired' })));
    const changes: unknown[] = [];
    client.onChange((u) => changes.push(u));
    await client.login('ann', 'pw');
    expect(await client.refresh()).toBe(false);
    expect(client.user).toBeNull();
    expect(changes).toEqual([expect.objectContaining({ username: 'ann' }), null]);
  });
});
