/**
 * The one API client: openapi-fetch typed by api-types.ts (generated from the server's OpenAPI
 * document), same origin, with the session cookie. Every write carries the CSRF token the sign-in
 * answer gave. Errors become ApiError with the API's own code and message, shown as they are.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './api-types';

export type { paths, components } from './api-types';

let csrfToken: string | undefined;
export const setCsrfToken = (token: string | undefined): void => {
  csrfToken = token;
};

const csrf: Middleware = {
  onRequest({ request }) {
    if (csrfToken && request.method !== 'GET' && request.method !== 'HEAD') request.headers.set('x-steward-csrf', csrfToken);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: 'same-origin' });
api.use(csrf);

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { path?: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface Outcome<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a call, or throws ApiError carrying the API's code and message. */
export async function call<T>(p: Promise<Outcome<T>>): Promise<T> {
  let out: Outcome<T>;
  try {
    out = await p;
  } catch {
    throw new ApiError(0, 'NETWORK', 'the server could not be reached; nothing was changed by this attempt');
  }
  if (out.response.ok) return out.data as T;
  const body = out.error as { error?: { code?: string; message?: string; details?: { path?: string; message: string }[] } } | undefined;
  throw new ApiError(out.response.status, body?.error?.code ?? 'HTTP_' + out.response.status, body?.error?.message ?? out.response.statusText, body?.error?.details ?? []);
}
