import {
  type AddPhotosReply,
  type AttachmentReply,
  AuditPaths,
  AuditRoutes,
  AuthRoutes,
  type AvatarReply,
  ChatPaths,
  ChatRoutes,
  type EventsFilter,
  FacePaths,
  FaceRoutes,
  type Jwks,
  type MediaObject,
  MediaPaths,
  MediaRoutes,
  PROBLEM_CONTENT_TYPE,
  type Problem,
  type RouteBody,
  type RouteDef,
  type RouteParams,
  type RouteQuery,
  type RouteReply,
  Routes,
  type SearchReply,
  type StoredEvent,
  type UploadKind,
} from '@parley/contracts';
import type { Static } from 'typebox';
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

// A Node Buffer is a Uint8Array over a possibly shared ArrayBuffer; Blob copies the bytes it is given either way.
const asBlob = (file: Blob | Uint8Array): Blob => (file instanceof Blob ? file : new Blob([file as Uint8Array<ArrayBuffer>]));

/** Typed client of the public API, built only on the route definitions in contracts. */
export const createClient = (options: ClientOptions) => {
  const doFetch = options.fetch ?? fetch;
  const base = options.baseUrl.replace(/\/$/, '');

  const raw = async (method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers, ...init.headers };
    if (options.accessToken) headers.authorization = `Bearer ${options.accessToken}`;
    let body: string | FormData | undefined;
    if (init.body instanceof FormData) {
      // fetch writes the multipart boundary into the content type itself.
      body = init.body;
    } else if (init.body !== undefined) {
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

  type Body<R extends RouteDef> = RouteBody<R>;
  const A = AuthRoutes;

  /** The Accounts section of API.md. */
  const auth = {
    register: (body: Body<typeof A.register>) => call(A.register, { body }),
    /** `{email, code}` from the mail, or `{token}` from the link. */
    verifyEmail: (body: Body<typeof A.verifyEmail>) => call(A.verifyEmail, { body }),
    resendVerification: (email: string) => call(A.resendVerification, { body: { email } }),
    passwordStrength: (body: Body<typeof A.passwordStrength>) => call(A.passwordStrength, { body }),
    login: (body: Body<typeof A.login>) => call(A.login, { body }),
    requestLoginCode: (email: string) => call(A.requestLoginCode, { body: { email } }),
    verifyLoginCode: (body: Body<typeof A.verifyLoginCode>) => call(A.verifyLoginCode, { body }),
    refresh: (refreshToken: string) => call(A.refresh, { body: { refreshToken } }),
    logout: () => call(A.logout),
    logoutAll: () => call(A.logoutAll),
    session: () => call(A.session),
    sessions: () => call(A.listSessions),
    revokeSession: (id: string) => call(A.revokeSession, { params: { id } }),
    jwks: async () => parse<Jwks>(await raw('GET', `${API_PREFIX}/.well-known/jwks.json`)),
  };

  /** The Users section of API.md. */
  const users = {
    me: () => call(A.me),
    rename: (name: string) => call(A.rename, { body: { name } }),
    changePassword: (body: Body<typeof A.changePassword>) => call(A.changePassword, { body }),
    requestEmailChange: (newEmail: string) => call(A.requestEmailChange, { body: { newEmail } }),
    confirmEmailChange: (code: string) => call(A.confirmEmailChange, { body: { code } }),
    search: (q: string, page: { limit?: number; cursor?: string } = {}) => call(A.searchUsers, { query: { q, ...page } }),
    get: (id: string) => call(A.getUser, { params: { id } }),
    /** Multipart `file` (a PNG, JPEG or WebP); not a contracts route (it is not JSON). */
    setAvatar: async (file: Blob | Uint8Array, filename = 'avatar') => {
      const form = new FormData();
      form.append('file', asBlob(file), filename);
      return parse<Static<typeof AvatarReply>>(await raw('PUT', `${API_PREFIX}${MediaPaths.avatar}`, { body: form }));
    },
  };

  /** A media URL as the API gives it (a path, or absolute), with this client's token. 304 is returned, other non-2xx thrown. */
  const openMedia = async (url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Response> => {
    const path = /^https?:/i.test(url) ? url.slice(new URL(url).origin.length) : url;
    const res = await raw(method, path, { headers: { accept: '*/*', ...headers } });
    if (!res.ok && res.status !== 304) await parse(res);
    return res;
  };

  /** Uploads and the bytes of media (API.md's Media section; `POST /media` is docs/media.md's). */
  const media = {
    /** `kind` goes before the file in the form: the gateway needs it to check the bytes as they stream. */
    upload: async (kind: UploadKind, file: Blob | Uint8Array, filename = 'file'): Promise<MediaObject> => {
      const form = new FormData();
      form.append('kind', kind);
      form.append('file', asBlob(file), filename);
      return parse<MediaObject>(await raw('POST', `${API_PREFIX}${MediaPaths.upload}`, { body: form }));
    },
    list: (query: RouteQuery<typeof MediaRoutes.listMine> = {}) => call(MediaRoutes.listMine, { query }),
    delete: (id: string) => call(MediaRoutes.delete, { params: { id } }),
    /** The bytes as a Response (`range: 'bytes=0-99'` and other headers may be passed); `thumbnail` for an image's WebP. */
    open: (id: string, options: { thumbnail?: boolean; headers?: Record<string, string>; method?: 'GET' | 'HEAD' } = {}) =>
      openMedia(
        `${API_PREFIX}${MediaPaths[options.thumbnail ? 'thumbnail' : 'original'].replace(':id', encodeURIComponent(id))}`,
        options.headers,
        options.method,
      ),
    /** Any media URL the API handed out (`url`, `thumbnailUrl`, `signedUrl`, an avatarUrl). */
    openUrl: (url: string, headers?: Record<string, string>) => openMedia(url, headers),
    bytes: async (id: string, options: { thumbnail?: boolean } = {}): Promise<Uint8Array> =>
      new Uint8Array(await (await media.open(id, options)).arrayBuffer()),
  };

  const R = ChatRoutes;
  /** Rooms, messages and attachments (API.md's Rooms section). */
  const rooms = {
    create: (body: Body<typeof R.createRoom>) => call(R.createRoom, { body }),
    list: (query: RouteQuery<typeof R.listRooms> = {}) => call(R.listRooms, { query }),
    get: (id: string) => call(R.getRoom, { params: { id } }),
    addMember: (id: string, userId: string) => call(R.addMember, { params: { id }, body: { userId } }),
    /** The owner removes anyone; my own id leaves. */
    removeMember: (id: string, userId: string) => call(R.removeMember, { params: { id, userId } }),
    /** With a `clientMessageId`, posting again (after a timeout) returns the stored message instead of a copy. */
    post: (id: string, text: string, clientMessageId?: string) =>
      call(R.postMessage, { params: { id }, body: { text, ...(clientMessageId ? { clientMessageId } : {}) } }),
    history: (id: string, query: RouteQuery<typeof R.listMessages> = {}) => call(R.listMessages, { params: { id }, query }),
    /** Multipart `kind` then `file`: stores the file and posts a message carrying it. */
    attach: async (id: string, kind: UploadKind, file: Blob | Uint8Array, filename = 'file') => {
      const form = new FormData();
      form.append('kind', kind);
      form.append('file', asBlob(file), filename);
      const path = ChatPaths.attachments.replace(':id', encodeURIComponent(id));
      return parse<Static<typeof AttachmentReply>>(await raw('POST', `${API_PREFIX}${path}`, { body: form }));
    },
  };

  const F = FaceRoutes;
  /** My private face library (API.md's Face library section). */
  const faces = {
    createIdentity: (name: string) => call(F.createIdentity, { body: { name } }),
    listIdentities: () => call(F.listIdentities),
    deleteIdentity: (id: string) => call(F.deleteIdentity, { params: { id } }),
    /** One `file` part per photo; each must show exactly one face, the others come back in `rejected`. */
    addPhotos: async (id: string, files: { bytes: Blob | Uint8Array; filename?: string }[]): Promise<AddPhotosReply> => {
      const form = new FormData();
      for (const [i, file] of files.entries()) form.append('file', asBlob(file.bytes), file.filename ?? `photo${i + 1}`);
      const path = FacePaths.photos.replace(':id', encodeURIComponent(id));
      return parse<AddPhotosReply>(await raw('POST', `${API_PREFIX}${path}`, { body: form }));
    },
    /** Every face in the photo, each with its best match in my library or null. */
    search: async (bytes: Blob | Uint8Array, filename = 'photo'): Promise<SearchReply> => {
      const form = new FormData();
      form.append('file', asBlob(bytes), filename);
      return parse<SearchReply>(await raw('POST', `${API_PREFIX}${FacePaths.search}`, { body: form }));
    },
  };

  const L = AuditRoutes;
  /** My login history, and (admin) every service's events and the chain's integrity (API.md's Audit section). */
  const audit = {
    logins: (page: RouteQuery<typeof L.logins> = {}) => call(L.logins, { query: page }),
    /** 404 NO_LOGIN_YET when none succeeded. */
    latestLogin: () => call(L.latestLogin),
    /** (admin) Newest first; `type` exact or a prefix ending in `.*`, `from` inclusive, `to` exclusive. */
    events: (filter: RouteQuery<typeof L.events> = {}) => call(L.events, { query: filter }),
    /** (admin) May take a while on a large log. */
    verify: () => call(L.verify),
    /** (admin) The NDJSON file, oldest first; rejects when the download was cut short (no partial file). */
    exportNdjson: async (filter: EventsFilter = {}): Promise<string> => {
      const qs = new URLSearchParams(Object.entries(filter).filter((e): e is [string, string] => e[1] !== undefined));
      const res = await raw('GET', `${API_PREFIX}${AuditPaths.export}${qs.size ? `?${qs}` : ''}`, {
        headers: { accept: 'application/x-ndjson' },
      });
      if (!res.ok) await parse(res);
      return res.text();
    },
    /** (admin) The export, parsed: one stored event per line. */
    exportEvents: async (filter: EventsFilter = {}): Promise<StoredEvent[]> =>
      (await audit.exportNdjson(filter))
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as StoredEvent),
  };

  return {
    call,
    raw,
    auth,
    users,
    media,
    rooms,
    faces,
    audit,
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
