import {
  PROBLEM_CONTENT_TYPE,
  type Problem,
  type RouteBody,
  type RouteDef,
  type RouteParams,
  type RouteQuery,
  type RouteReply,
  Routes,
} from '@parley/contracts';
import { ParleyApiError } from './errors.ts';

export interface ClientOptions {
  /** Where the gateway is, e.g. http://localhost:3000 (the client adds /api/v1). */
  baseUrl: string;
  accessToken?: string;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
}

export interface CallInput {
  params?: Record<string, string | number>;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
}

type Has<T> = [NonNullable<T>] extends [never] ? false : true;
type InputOf<R extends RouteDef> = (Has<R['params']> extends true ? { params: RouteParams<R> } : object) &
  (Has<R['query']> extends true ? { query?: RouteQuery<R> } : object) &
  (Has<R['body']> extends true ? { body: RouteBody<R> } : object) & { headers?: Record<string, string> };

const API_PREFIX = '/api/v1';

/** Typed client of the public API, built only on the route definitions in contracts. */
export const createClient = (options: ClientOptions) => {
  const doFetch = options.fetch ?? fetch;
  const base = options.baseUrl.replace(/\/$/, '');

  const raw = async (method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers, ...init.headers };
    if (options.accessToken) headers.authorization = `Bearer ${options.accessToken}`;
    let body: string | undefined;
    if (init.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.body);
    }
    return doFetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  };

  const parse = async <T>(res: Response): Promise<T> => {
    const type = res.headers.get('content-type') ?? '';
    if (!res.ok) {
      const problem: Problem = type.startsWith(PROBLEM_CONTENT_TYPE)
        ? ((await res.json()) as Problem)
        : { type: 'about:blank', title: res.statusText, status: res.status, detail: await res.text(), code: 'HTTP_ERROR' };
      throw new ParleyApiError(problem, res.headers);
    }
    if (res.status === 204) return undefined as T;
    return (type.includes('json') ? await res.json() : await res.text()) as T;
  };

  /** Calls any route of contracts' `Routes` by its definition. */
  const call = async <R extends RouteDef>(def: R, input: InputOf<R> = {} as InputOf<R>): Promise<RouteReply<R>> => {
    const i = input as CallInput;
    const path = def.url.replace(/:(\w+)/g, (_, key: string) => encodeURIComponent(String(i.params?.[key] ?? '')));
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(i.query ?? {})) if (v !== undefined) qs.set(k, String(v));
    const url = `${API_PREFIX}${path}${qs.size ? `?${qs}` : ''}`;
    return parse(await raw(def.method, url, { body: i.body, ...(i.headers ? { headers: i.headers } : {}) }));
  };

  return {
    call,
    raw,
    withToken: (accessToken: string) => createClient({ ...options, accessToken }),
    status: () => call(Routes.getSystemStatus),
    serviceStatus: (service: import('@parley/contracts').ServiceName) => call(Routes.getServiceStatus, { params: { service } }),
    ops: {
      healthz: async () => parse<{ status: string }>(await raw('GET', '/healthz')),
      readyz: async () =>
        parse<{ ready: boolean; checks: Record<string, { ok: boolean; latencyMs: number; error?: string }> }>(
          await raw('GET', '/readyz'),
        ),
      metrics: async () => parse<string>(await raw('GET', '/metrics')),
      openapi: async () => parse<{ openapi: string; paths: Record<string, unknown> }>(await raw('GET', '/openapi.json')),
    },
  };
};

export type ParleyClient = ReturnType<typeof createClient>;
