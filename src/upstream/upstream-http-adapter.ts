import * as http from 'node:http';
import * as https from 'node:https';
import * as zlib from 'node:zlib';
import { withoutStackTrace } from '../common';
// Types only, from axios's ESM declarations (the ones @nestjs/axios is typed against).
import type { AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios' with {
  'resolution-mode': 'import',
};

/** What a call through this adapter may add to axios's config. */
export interface UpstreamTransportOptions {
  /**
   * Called once the request has its socket and is being written (not while it only waits behind
   * the other requests the gateway is writing): when it becomes outstanding at the upstream.
   */
  readonly onSent?: () => void;
}

/**
 * The transport under the EventGateway's axios client when no proxy is configured: one
 * `http.request` on Node's keep-alive agent per call, the body read into one string.
 *
 * Why not axios's own `http` adapter: a CPU profile of a 50-event fan-out put axios's request path
 * near half of each upstream call's CPU, and its adapter (redirects, proxies, streams and
 * transform streams, form data, progress events, none of which the gateway uses) about a third of
 * that. This adapter does what the gateway's calls need and nothing else, and keeps axios's
 * contract everywhere else: its config merge, interceptors (the circuit breaker),
 * `transformResponse` (the depth-checked JSON parse) and the error fields `toEventApiError` reads
 * (`isAxiosError`, `code`, `response.status`, `__CANCEL__` with `config.signal`).
 *
 * What it does, as axios's adapter does it: `baseURL` + `url`; Basic `auth`; the deadline and a
 * lost race through `config.signal` (the socket is destroyed, the call rejects as cancelled);
 * `maxContentLength` on the decoded body, checked against `Content-Length` first, while reading,
 * and on decompression; gzip, deflate and brotli answers decoded; a UTF-8 BOM dropped; the status
 * judged by `validateStatus`. What it does not: redirects (the gateway sets `maxRedirects: 0`),
 * proxies (with a proxy in the environment the gateway keeps axios's adapter), streams, uploads
 * other than a string body, and a whole URL in place of a path (refused: nothing leaves for
 * another host). Since it calls `http.request`, nock intercepts it like axios's.
 */
export function upstreamHttpAdapter(
  config: InternalAxiosRequestConfig & UpstreamTransportOptions,
): Promise<AxiosResponse> {
  return new Promise((resolve, reject) => {
    const signal = config.signal as AbortSignal | undefined;
    if (signal?.aborted) {
      reject(canceled(config));
      return;
    }
    if (ABSOLUTE_URL.test(config.url ?? '')) {
      // The gateway's calls are paths under the upstream's base URL; a whole URL never leaves.
      reject(axiosError('Only paths under the base URL are sent', 'ERR_BAD_REQUEST', config));
      return;
    }
    const target = targetOf(config);
    const headers = config.headers.toJSON(true);
    if (!config.headers.has('accept-encoding')) headers['accept-encoding'] = ACCEPT_ENCODING;
    if (!config.headers.has('user-agent')) headers['user-agent'] = USER_AGENT;
    const body = typeof config.data === 'string' ? config.data : undefined;
    if (config.data !== undefined && config.data !== null && body === undefined) {
      reject(axiosError('Only a string request body is supported', 'ERR_BAD_REQUEST', config));
      return;
    }
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const maxBytes = config.maxContentLength ?? -1;
    const auth = config.auth ? `${config.auth.username}:${config.auth.password}` : undefined;

    let settled = false;
    /** Settles once; a failure destroys the socket unless the answer was read to its end. */
    const finish = (error: Error | null, response?: AxiosResponse, drained = false): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (error) {
        if (!drained) request.destroy();
        reject(error);
      } else {
        resolve(response as AxiosResponse);
      }
    };
    const onAbort = (): void => finish(canceled(config));

    const request = target.module.request(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        path: pathOf(target, config.url ?? ''),
        method: (config.method ?? 'get').toUpperCase(),
        headers,
        auth,
        // The client's own keep-alive agent (axios's fields, which its adapter honours too).
        agent: (target.protocol === 'https:' ? config.httpsAgent : config.httpAgent) as
          http.Agent | undefined,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const valid = config.validateStatus ? config.validateStatus(status) : true;
        const answer = (data: unknown): AxiosResponse => ({
          data,
          status,
          statusText: res.statusMessage ?? '',
          headers: res.headers,
          config,
          request,
        });
        const declared = Number(res.headers['content-length']);
        if (!valid) {
          // The status is the verdict; the body is not needed. A short one is drained so that the
          // connection serves again; any other (unknown length, or long) closes it: nothing keeps
          // reading for a call that has ended.
          const drain = declared <= MAX_DRAINED_BYTES;
          if (drain) res.resume();
          const error = axiosError(
            `Request failed with status code ${status}`,
            status >= 500 ? 'ERR_BAD_RESPONSE' : 'ERR_BAD_REQUEST',
            config,
          );
          finish(Object.assign(error, { response: answer(undefined) }), undefined, drain);
          return;
        }
        if (maxBytes > -1 && declared > maxBytes) {
          finish(tooLarge(config, maxBytes));
          return;
        }
        const chunks: Buffer[] = [];
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (maxBytes > -1 && received > maxBytes) {
            finish(tooLarge(config, maxBytes));
            return;
          }
          chunks.push(chunk);
        });
        res.on('aborted', () => {
          const error = axiosError('stream has been aborted', 'ERR_BAD_RESPONSE', config);
          finish(Object.assign(error, { response: answer(undefined) }));
        });
        res.on('error', (error: NodeJS.ErrnoException) =>
          finish(axiosError(error.message, error.code, config)),
        );
        res.on('close', () => {
          if (!res.complete) finish(axiosError('socket hang up', 'ECONNRESET', config));
        });
        res.on('end', () => {
          if (settled) return;
          const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
          decode(raw, res.headers['content-encoding'], maxBytes, (error, decoded) => {
            if (error) {
              finish(
                (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
                  ? tooLarge(config, maxBytes)
                  : axiosError(error.message, 'ERR_BAD_RESPONSE', config),
              );
              return;
            }
            finish(null, answer(withoutBom(decoded.toString('utf8'))));
          });
        });
      },
    );
    request.on('error', (error: NodeJS.ErrnoException) =>
      finish(axiosError(error.message, error.code, config)),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    // `socket` comes just before the request is written to it (a reused connection), or as a new
    // connection opens. (`finish`, after the write, is late or missing under nock.)
    if (config.onSent) request.once('socket', config.onSent);
    request.end(body);
  });
}

/**
 * Flattens the client's default headers: axios keeps them in a bucket per method (twelve, all
 * empty here but `common`), which its config merge copies deeply on every call and then throws
 * away; about a fifth of axios's own time per call in a micro-benchmark (67–73 µs against 89–94
 * µs). The headers sent are the same: `common`'s, then the client's own (`accept` wins).
 */
export function flattenDefaultHeaders(axios: AxiosInstance): void {
  const headers = axios.defaults.headers as unknown as Record<string, unknown>;
  const flat: Record<string, unknown> = {};
  const own = Object.entries(headers).filter(([, value]) => typeof value !== 'object' || !value);
  const common = headers.common && typeof headers.common === 'object' ? headers.common : {};
  for (const [name, value] of [...Object.entries(common), ...own]) {
    flat[name.toLowerCase()] = value; // header names are caseless: the client's own win
  }
  axios.defaults.headers = flat as typeof axios.defaults.headers;
}

const LEADING_SLASHES = /^\/+/;
const ABSOLUTE_URL = /^([a-z][a-z\d+.-]*:)?\/\//i;
/** A `.` or `..` path segment. */
const DOT_SEGMENT = /(^|\/)\.\.?(\/|\?|#|$)/;

/**
 * The request's path under the base URL. Dot segments are resolved as `new URL` (axios's adapter)
 * resolves them, so `getUserById/..` never reaches the upstream as written.
 */
function pathOf(target: Target, url: string): string {
  const path = target.basePath + url.replace(LEADING_SLASHES, '');
  if (!DOT_SEGMENT.test(path)) return path;
  const resolved = new URL(path, 'http://upstream.invalid');
  return resolved.pathname + resolved.search;
}

/** The longest body of a refused status that is read to its end to keep the connection. */
const MAX_DRAINED_BYTES = 64 * 1024;
const ACCEPT_ENCODING = 'gzip, deflate, br';
const USER_AGENT = 'event-gateway';

interface Target {
  readonly module: typeof http | typeof https;
  readonly protocol: string;
  readonly hostname: string;
  readonly port: string;
  readonly basePath: string;
}

/** Each base URL parsed once: the gateway has one. */
const targets = new Map<string, Target>();

function targetOf(config: InternalAxiosRequestConfig): Target {
  const base = config.baseURL ?? '';
  let target = targets.get(base);
  if (!target) {
    const url = new URL(base);
    target = {
      module: url.protocol === 'https:' ? https : http,
      protocol: url.protocol,
      // `new URL` keeps an IPv6 host's brackets; `http.request` wants the bare address.
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port,
      // Joined to a call's path as axios joins them: one slash between.
      basePath: url.pathname.replace(/\/*$/, '/'),
    };
    targets.set(base, target);
  }
  return target;
}

/** An error with the fields axios's own errors carry and `toEventApiError` reads. */
function axiosError(
  message: string,
  code: string | undefined,
  config: InternalAxiosRequestConfig,
): Error & { isAxiosError: true; code?: string; config: InternalAxiosRequestConfig } {
  // No stack: it would show this adapter's callback, never the caller (the call is asynchronous).
  return Object.assign(
    withoutStackTrace(() => new Error(message)),
    {
      name: 'AxiosError',
      isAxiosError: true as const,
      code,
      config,
    },
  );
}

function canceled(config: InternalAxiosRequestConfig): Error {
  return Object.assign(axiosError('canceled', 'ERR_CANCELED', config), {
    name: 'CanceledError',
    __CANCEL__: true,
  });
}

function tooLarge(config: InternalAxiosRequestConfig, maxBytes: number): Error {
  return axiosError(`maxContentLength size of ${maxBytes} exceeded`, 'ERR_BAD_RESPONSE', config);
}

function decode(
  raw: Buffer,
  encoding: string | undefined,
  maxBytes: number,
  done: (error: Error | null, decoded: Buffer) => void,
): void {
  const options = maxBytes > -1 ? { maxOutputLength: maxBytes } : {};
  switch (encoding?.toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
    case 'deflate':
      zlib.unzip(raw, options, done);
      return;
    case 'br':
      zlib.brotliDecompress(raw, options, done);
      return;
    default:
      // None, identity, or one it did not ask for: the bytes as they came (the parsers refuse
      // what they cannot read, as with axios).
      done(null, raw);
  }
}

function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
