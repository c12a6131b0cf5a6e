// Type-checked (never run) by `tsc -p types/tsconfig.json`: typical use of the public API.
import {
  Client,
  Verifier,
  InvalidTokenError,
  OAuth4osError,
  classify,
  decide,
  errorClasses,
  errorReasons,
  scopes,
  type Claims,
  type Decision,
  type Token,
} from 'oauth4os';

async function main(): Promise<void> {
  const client = new Client({
    issuer: 'http://127.0.0.1:8443',
    clientId: 'my-agent',
    clientSecret: 'secret',
    scope: ['read:logs-*'],
    baseUrl: 'http://127.0.0.1:8443',
  });
  const token: Token = await client.token();
  const bearer: string = token.accessToken;
  const found = await client.search('logs-*', { query: { match_all: {} } });
  const total: number | undefined = found.hits.total?.value;
  const resp = await client.request('GET', '/logs-demo/_count');
  const status: number = resp.status;
  const count = resp.json<{ count: number }>().count;
  await client.revoke();
  const exchanged = await client.exchange(bearer, { scope: 'read:logs-2026.*' });
  const n: number = client.stats().tokenRequests;

  const verifier = new Verifier({ issuer: 'http://127.0.0.1:8443', audience: 'http://127.0.0.1:8443' });
  try {
    const claims: Claims = await verifier.verify(bearer);
    const aud: string[] = claims.aud;
    void aud;
  } catch (e) {
    if (e instanceof InvalidTokenError) {
      const why: string = e.reason;
      void why;
    } else if (e instanceof OAuth4osError && e.code === 'network') {
      const after: number | undefined = e.retryAfter;
      void after;
    }
  }
  const fixed = Verifier.fromJwks({ keys: [] }, { issuer: 'i', audiences: ['a'], algorithms: ['ES256'] });
  const c2: Claims = fixed.verifySync(bearer, { now: 1_800_000_000 });
  const hit: Claims | null = fixed.cached(bearer);
  await verifier.prefetchKeys();
  const covered: boolean = scopes.covers(['read:logs-*'], 'read:logs-app') && scopes.matches('logs-*', 'logs-1');
  const ok: boolean = scopes.allows('read:logs-*', 'read', 'logs-demo');
  const normal: string = scopes.attenuate('read:logs-2026.*', ['read:logs-*']);
  const cls = classify('POST', '/logs-*/_search', { query: {} });
  const first = cls.accesses[0]?.resource;
  const Klass: typeof OAuth4osError = errorClasses.invalid_scope;
  const d: Decision = decide({ scope: 'read:logs-*' }, 'GET', '/logs-1/_search?q=x', { policies: {} });
  const needed: string | undefined = d.decision === 'deny' ? d.error?.scope : d.accesses[0]?.scope ?? undefined;
  const reasons: readonly string[] = errorReasons;
  void [d, needed, reasons];
  void [total, status, count, exchanged, n, c2, hit, covered, ok, normal, first, Klass];
}

void main;
