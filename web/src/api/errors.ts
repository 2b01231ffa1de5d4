/** An error from the node, read from its RFC 9457 problem+json body into a sentence a person can act on. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly retryAfter?: number;

  constructor(status: number, code: string, message: string, retryAfter?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/** What to tell the user for each stable error code, where the node's own detail needs context. */
const hints: Record<string, string> = {
  vault_locked: 'This vault is locked. Unlock it with its passphrase first.',
  wrong_passphrase: 'That passphrase does not unlock this vault.',
  bad_credentials: 'Wrong username or password.',
  session_expired: 'Your session has ended. Please log in again.',
  unauthorized: 'You are not logged in, or your session has ended.',
  too_many_attempts: 'Too many attempts. Wait a moment and try again.',
  too_many_requests: 'The node is busy with your requests. Wait a moment and try again.',
  quota_exceeded: 'Your storage quota is full.',
  setup_closed: 'Setup is already done, or the setup token is wrong.',
  csrf: 'The request was refused as a possible cross-site request. Reload the page.',
  needs_reshare: 'This vault must be shared with you again: an admin reset your password, and your old sharing key is gone. Ask its owner or a manager.',
  link_target_trashed: 'What this link points to was moved to the trash. Ask whoever sent you the link.',
};

function retryAfterSeconds(response: Response): number | undefined {
  const value = response.headers.get('Retry-After');
  const n = value === null ? NaN : Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** Turns a failed response into an ApiError; never exposes raw JSON or HTML to the user. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  const retryAfter = retryAfterSeconds(response);
  let code = 'error';
  let detail = '';
  const type = response.headers.get('Content-Type') ?? '';
  if (type.includes('json')) {
    try {
      const body = (await response.json()) as { code?: unknown; detail?: unknown; title?: unknown; errors?: unknown };
      if (typeof body.code === 'string') code = body.code;
      if (typeof body.detail === 'string') detail = body.detail;
      else if (typeof body.title === 'string') detail = body.title;
      if (body.errors && typeof body.errors === 'object') {
        const first = Object.values(body.errors as Record<string, unknown>).flat()[0];
        if (typeof first === 'string') detail = first;
      }
    } catch {
      // A body that claims JSON but is not: fall back to the status below.
    }
  }
  return new ApiError(response.status, code, describe(response.status, code, detail, retryAfter), retryAfter);
}

export function describe(status: number, code: string, detail: string, retryAfter?: number): string {
  const hint = hints[code];
  let message: string;
  if (hint && detail && code !== 'bad_credentials' && code !== 'session_expired') {
    message = `${hint} (${detail})`;
  } else if (hint) {
    message = hint;
  } else if (detail) {
    message = detail.charAt(0).toUpperCase() + detail.slice(1);
  } else if (status === 404) {
    message = 'Not found.';
  } else if (status >= 500) {
    message = `The node had a problem (HTTP ${status}). Try again; if it persists, check the node's log.`;
  } else {
    message = `The request failed (HTTP ${status}).`;
  }
  if (retryAfter !== undefined && (status === 429 || status === 503)) {
    message += ` Try again in ${retryAfter} s.`;
  }
  return message;
}

/** A readable message for anything thrown: API errors, network failures, aborts. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof DOMException && error.name === 'AbortError') return 'Cancelled.';
  if (error instanceof TypeError) return 'Cannot reach the node. Check your connection.';
  if (error instanceof Error) return error.message;
  return String(error);
}
