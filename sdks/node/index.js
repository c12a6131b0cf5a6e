'use strict';
// oauth4os for Node.js: an idiomatic layer over the native binding (bindings/node). Every rule
// lives in the Rust core; this file converts options and results and gives errors their classes.

const native = require('./binding.js').load();
const { version } = require('./package.json');

const PREFIX = native._errorPrefix();

/**
 * Every error of this package: `code` (stable, e.g. `invalid_token`), `reason` (finer, e.g.
 * `revoked`), `help`, `retryAfter` and `scope` (the scope needed, on `insufficient_scope`).
 */
class OAuth4osError extends Error {
  constructor(message, { code = new.target.code ?? 'internal', reason = code, help, retryAfter, scope } = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.reason = reason;
    this.help = help;
    this.retryAfter = retryAfter;
    this.scope = scope;
  }
}

// One class per core error code. Written out (not generated from the core's list) so that a new
// core code without a class here fails the test that walks `native.errorCodes()`.
class InvalidRequestError extends OAuth4osError {}
class InvalidClientError extends OAuth4osError {}
class InvalidGrantError extends OAuth4osError {}
class UnauthorizedClientError extends OAuth4osError {}
class UnsupportedGrantTypeError extends OAuth4osError {}
class InvalidScopeError extends OAuth4osError {}
class InvalidTokenError extends OAuth4osError {}
class InsufficientScopeError extends OAuth4osError {}
class AccessDeniedError extends OAuth4osError {}
class InvalidTargetError extends OAuth4osError {}
class UnsupportedTokenTypeError extends OAuth4osError {}
class InvalidClientMetadataError extends OAuth4osError {}
class InvalidRedirectUriError extends OAuth4osError {}
class UnsupportedResponseTypeError extends OAuth4osError {}
class ServerError extends OAuth4osError {}
class TemporarilyUnavailableError extends OAuth4osError {}
class RateLimitedError extends OAuth4osError {}
class NotFoundError extends OAuth4osError {}
class ConflictError extends OAuth4osError {}
class NetworkError extends OAuth4osError {}
class UpstreamError extends OAuth4osError {}
class ConfigError extends OAuth4osError {}
class InternalError extends OAuth4osError {}

const errorClasses = Object.freeze({
  invalid_request: InvalidRequestError,
  invalid_client: InvalidClientError,
  invalid_grant: InvalidGrantError,
  unauthorized_client: UnauthorizedClientError,
  unsupported_grant_type: UnsupportedGrantTypeError,
  invalid_scope: InvalidScopeError,
  invalid_token: InvalidTokenError,
  insufficient_scope: InsufficientScopeError,
  access_denied: AccessDeniedError,
  invalid_target: InvalidTargetError,
  unsupported_token_type: UnsupportedTokenTypeError,
  invalid_client_metadata: InvalidClientMetadataError,
  invalid_redirect_uri: InvalidRedirectUriError,
  unsupported_response_type: UnsupportedResponseTypeError,
  server_error: ServerError,
  temporarily_unavailable: TemporarilyUnavailableError,
  rate_limited: RateLimitedError,
  not_found: NotFoundError,
  conflict: ConflictError,
  network: NetworkError,
  upstream: UpstreamError,
  config: ConfigError,
  internal: InternalError,
});
// Each class knows its code, so `new InvalidScopeError('m')` has `code === 'invalid_scope'`.
for (const [code, Class] of Object.entries(errorClasses)) {
  Object.defineProperty(Class, 'code', { value: code, enumerable: true });
}

/** The one place native errors become classes; anything else (e.g. a wrong argument type) passes. */
function fromNative(err) {
  if (!(err instanceof Error) || typeof err.message !== 'string' || !err.message.startsWith(PREFIX)) {
    return err;
  }
  let data;
  try {
    data = JSON.parse(err.message.slice(PREFIX.length));
  } catch {
    return new InternalError('the native error could not be read');
  }
  const Class = Object.hasOwn(errorClasses, data.code) ? errorClasses[data.code] : OAuth4osError;
  return new Class(data.message, {
    code: data.code,
    reason: data.reason,
    help: data.help ?? undefined,
    retryAfter: data.retry_after ?? undefined,
    scope: data.scope ?? undefined,
  });
}

function sync(fn) {
  try {
    return fn();
  } catch (err) {
    throw fromNative(err);
  }
}

async function later(fn) {
  try {
    return await fn();
  } catch (err) {
    throw fromNative(err);
  }
}

const snake = (key) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** camelCase options → the core's snake_case JSON; `undefined` dropped, renames applied. */
function toConfig(options, renames) {
  if (options === null || typeof options !== 'object') {
    throw new ConfigError('the options must be an object', { reason: 'bad_config' });
  }
  const out = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    out[Object.hasOwn(renames, key) ? renames[key] : snake(key)] = value;
  }
  return out;
}

const CLIENT_RENAMES = { tokenUrl: 'token_endpoint', revocationUrl: 'revocation_endpoint' };

function toToken(json) {
  const t = JSON.parse(json);
  const token = { accessToken: t.access_token, tokenType: t.token_type };
  if (t.expires_in !== undefined) token.expiresIn = t.expires_in;
  if (t.scope !== undefined) token.scope = t.scope;
  if (t.refresh_token !== undefined) token.refreshToken = t.refresh_token;
  if (t.issued_token_type !== undefined) token.issuedTokenType = t.issued_token_type;
  return token;
}

function toBody(body) {
  if (body === undefined || body === null) return undefined;
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (typeof body === 'string') return Buffer.from(body);
  return Buffer.from(JSON.stringify(body));
}

class Response {
  constructor({ status, headers, body }) {
    this.status = status;
    this.headers = {};
    for (const [name, value] of headers) {
      this.headers[name] = name in this.headers ? `${this.headers[name]}, ${value}` : value;
    }
    this.body = body;
  }

  text() {
    return this.body.toString('utf8');
  }

  json() {
    return JSON.parse(this.text());
  }
}

/** A token client: acquires, caches and renews tokens and calls the proxy with them. */
class Client {
  #native;

  constructor(options = {}) {
    const cfg = toConfig(options, CLIENT_RENAMES);
    if (Array.isArray(cfg.scope)) cfg.scope = cfg.scope.join(' ');
    this.#native = sync(() => new native.Client(JSON.stringify(cfg)));
  }

  /** A valid token, from the cache or freshly acquired (one request for any number of callers). */
  token() {
    return later(async () => toToken(await this.#native.token()));
  }

  /** The access token string. */
  async accessToken() {
    return (await this.token()).accessToken;
  }

  /** Acquires a new token unless the cached one was already replaced since `stale` was handed out. */
  refresh(stale) {
    return later(async () => toToken(await this.#native.refresh(stale)));
  }

  /** Forgets the cached token. */
  invalidate() {
    sync(() => this.#native.invalidate());
  }

  /** `method path` through the proxy with the bearer token; a string, Buffer or JSON-able body. */
  request(method, path, body) {
    return later(async () => new Response(await this.#native.request(method, path, toBody(body))));
  }

  /** `POST /<index>/_search` with `query`; answers the parsed response. */
  search(index, query = {}) {
    return later(async () => JSON.parse(await this.#native.search(index, JSON.stringify(query))));
  }

  /** RFC 7009: revokes `token`, or the client's own tokens when omitted. */
  revoke(token) {
    return later(() => this.#native.revoke(token));
  }

  /** RFC 8693 token exchange of `subjectToken` for a (narrower) token of this client. */
  exchange(subjectToken, { subjectTokenType, scope, resource } = {}) {
    const s = Array.isArray(scope) ? scope.join(' ') : scope;
    return later(async () => toToken(
      await this.#native.exchange(subjectToken, subjectTokenType, s, resource),
    ));
  }

  /** Counters: `tokenRequests` sent to the token endpoint. */
  stats() {
    return sync(() => ({ ...this.#native.stats() }));
  }
}

/** camelCase verifier options → the facade's JSON verifier configuration. */
function toVerifierConfig(options) {
  const { audience, ...rest } = options ?? {};
  const cfg = toConfig(rest, {});
  if (audience !== undefined) cfg.audiences = [audience];
  return JSON.stringify(cfg);
}

const FIXED_KEYS = Symbol('fixed keys');
const nowOf = (opts) => (opts && opts.now !== undefined ? opts.now : undefined);
const claimsOf = (json) => (json === null ? null : JSON.parse(json));

/** Verifies one issuer's access tokens: keys from its JWKS (discovered) or given; verified-token cache. */
class Verifier {
  #native;

  /**
   * Discovers the issuer's JWKS: `{issuer, audience | audiences, algorithms, leeway, requiredTyp,
   * jwksUri, cacheCapacity}`.
   */
  constructor(options) {
    if (options && options[FIXED_KEYS]) {
      this.#native = options[FIXED_KEYS];
      return;
    }
    const cfg = toVerifierConfig(options);
    this.#native = sync(() => new native.Verifier(cfg));
  }

  /** A verifier over the given JWKS (object or JSON string); it never does I/O. */
  static fromJwks(jwks, options) {
    const cfg = toVerifierConfig(options);
    const doc = typeof jwks === 'string' ? jwks : JSON.stringify(jwks);
    return new Verifier({ [FIXED_KEYS]: sync(() => native.Verifier.fromJwks(doc, cfg)) });
  }

  /** The token's claims, or a rejection with the reason (`InvalidTokenError` and friends). */
  async verify(token, options) {
    // A token verified before is answered from the cache without a trip to the runtime.
    const now = nowOf(options);
    const hit = sync(() => this.#native.cached(token, now));
    if (hit !== null) return JSON.parse(hit);
    return later(async () => JSON.parse(await this.#native.verify(token, now)));
  }

  /** Synchronous verification, for verifiers made with `fromJwks` (`ConfigError` otherwise). */
  verifySync(token, options) {
    return JSON.parse(sync(() => this.#native.verifySync(token, nowOf(options))));
  }

  /** The claims of an already verified, still valid token from the cache, else `null`. */
  cached(token, options) {
    return claimsOf(sync(() => this.#native.cached(token, nowOf(options))));
  }

  /** Forgets cached verifications of tokens with this `jti` (call it on revocation). */
  revokeJti(jti) {
    sync(() => this.#native.revokeJti(jti));
  }

  /** Fetches the issuer's keys now (useful at start-up); nothing for fixed keys. */
  prefetchKeys() {
    return later(() => this.#native.prefetchKeys());
  }
}

const joined = (s) => (Array.isArray(s) ? s.join(' ') : s);

/** Scope helpers over the core's grammar (`read:logs-*`). */
const scopes = Object.freeze({
  /** The normal form of a space-separated scope list (throws `InvalidScopeError`). */
  normalize: (s) => sync(() => native.scopesNormalize(joined(s))),
  /** Whether `granted` allows `action` (`read`, `write`, `admin`, ...) on `target`. */
  allows: (granted, action, target) => sync(() => native.scopesAllows(joined(granted), action, target)),
  /** Whether some scope of `granted` grants everything the single `scope` grants. */
  covers: (granted, scope) => sync(() => native.scopesCovers(joined(granted), scope)),
  /** Whether every scope of `requested` is within `ceiling`. */
  isWithin: (requested, ceiling) => sync(() => native.scopesIsWithin(joined(requested), joined(ceiling))),
  /** What may be granted of `requested` under `allowed` (throws `InvalidScopeError` when it exceeds it). */
  attenuate: (requested, allowed) => sync(() => native.scopesAttenuate(joined(requested), joined(allowed))),
  /** Whether the index pattern `pattern` (`logs-*`) matches the index name `index`. */
  matches: (pattern, index) => sync(() => native.scopesMatches(pattern, index)),
});

/** The endpoint and every access an OpenSearch request needs; `path` may carry `?query`. */
function classify(method, path, body) {
  const q = path.indexOf('?');
  const [p, query] = q === -1 ? [path, undefined] : [path.slice(0, q), path.slice(q + 1)];
  return JSON.parse(sync(() => native.classify(method, p, query, toBody(body))));
}

/**
 * The request decision and why, offline: may a token with these verified `claims` (an object,
 * e.g. from `Verifier.verify`, or its JSON) make `method path` (which may carry `?query`) under
 * these Cedar `policies` (`{fileName: policyText}`; none: the built-in scope policy only)?
 * Answers `{decision: 'allow' | 'deny', endpoint, accesses, policies, scopes, error?}`; a denied
 * request's `error` is `{code, reason, message, help?, retryAfter?, scope?}`.
 */
function decide(claims, method, path, { body, policies } = {}) {
  const q = path.indexOf('?');
  const [p, query] = q === -1 ? [path, undefined] : [path.slice(0, q), path.slice(q + 1)];
  const c = typeof claims === 'string' ? claims : JSON.stringify(claims);
  const pol = policies === undefined || policies === null || typeof policies === 'string'
    ? policies ?? undefined
    : JSON.stringify(policies);
  const d = JSON.parse(sync(() => native.decide(c, method, p, query, toBody(body), pol)));
  if (d.error !== undefined) {
    const { retry_after: retryAfter, ...rest } = d.error;
    d.error = retryAfter === undefined ? rest : { ...rest, retryAfter };
  }
  return d;
}

const errorCodes = Object.freeze(native.errorCodes());
const errorReasons = Object.freeze(native.errorReasons());

// Shorthand properties only, so Node's ESM loader sees every named export.
module.exports = {
  version,
  Client,
  Verifier,
  Response,
  scopes,
  classify,
  decide,
  errorCodes,
  errorReasons,
  errorClasses,
  OAuth4osError,
  InvalidRequestError,
  InvalidClientError,
  InvalidGrantError,
  UnauthorizedClientError,
  UnsupportedGrantTypeError,
  InvalidScopeError,
  InvalidTokenError,
  InsufficientScopeError,
  AccessDeniedError,
  InvalidTargetError,
  UnsupportedTokenTypeError,
  InvalidClientMetadataError,
  InvalidRedirectUriError,
  UnsupportedResponseTypeError,
  ServerError,
  TemporarilyUnavailableError,
  RateLimitedError,
  NotFoundError,
  ConflictError,
  NetworkError,
  UpstreamError,
  ConfigError,
  InternalError,
};
// For this package's own tests: the raw addon and the error translation.
Object.defineProperty(module.exports, Symbol.for('oauth4os.private'), { value: { native, fromNative } });
