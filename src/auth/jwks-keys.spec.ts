import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { FakeClock } from '../testing/fake-clock';
import { JwksKeys, KeysUnavailableError } from './jwks-keys';

const COOLDOWN = 30_000;
const MAX_AGE = 600_000;

async function publicJwk(kid: string): Promise<JWK> {
  const { publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(publicKey)), kid, alg: 'ES256' };
}

/** A JWKS endpoint as a fetch function: answers `keys`, or fails, and counts calls. */
function fakeJwks(initial: JWK[]) {
  const state = {
    keys: initial,
    failing: false,
    calls: 0,
    /** While set, answers wait for it: a slow JWKS. */
    gate: undefined as Promise<void> | undefined,
  };
  const fetchImpl = (async () => {
    state.calls += 1;
    await state.gate;
    return state.failing
      ? new Response(null, { status: 503 })
      : Response.json({ keys: state.keys });
  }) as typeof fetch;
  return { state, fetchImpl };
}

function setup(keys: JWK[]) {
  const clock = new FakeClock(0);
  const jwks = fakeJwks(keys);
  const store = new JwksKeys(
    {
      url: 'https://idp.test/jwks',
      timeoutMs: 1000,
      cooldownMs: COOLDOWN,
      maxAgeMs: MAX_AGE,
      clock,
    },
    jwks.fetchImpl,
  );
  const lookUp = (kid: string) =>
    store.getKey({ alg: 'ES256', kid }, { payload: '', signature: '' });
  return { clock, jwks, store, lookUp };
}

describe('JwksKeys', () => {
  it('fetches once for many concurrent first look-ups', async () => {
    const { jwks, lookUp } = setup([await publicJwk('a')]);
    await Promise.all(Array.from({ length: 20 }, () => lookUp('a')));
    expect(jwks.state.calls).toBe(1);
  });

  it('refreshes keys older than the max age in the background, serving the old ones meanwhile', async () => {
    const { clock, jwks, store, lookUp } = setup([await publicJwk('a')]);
    await lookUp('a');
    clock.advance(MAX_AGE);
    jwks.state.keys = [await publicJwk('b')];
    let answer = (): void => undefined;
    jwks.state.gate = new Promise<void>((resolve) => (answer = resolve));
    // The JWKS has not answered yet: the known key serves without waiting for it.
    await expect(lookUp('a')).resolves.toBeDefined();
    expect(jwks.state.calls).toBe(2);
    const joined = store.refresh(); // joins the refresh under way, no third call
    answer();
    await joined;
    expect(jwks.state.calls).toBe(2);
    await expect(lookUp('b')).resolves.toBeDefined();
  });

  it('keeps the known keys through a failed refresh, and says degraded', async () => {
    const { clock, jwks, store, lookUp } = setup([await publicJwk('a')]);
    await lookUp('a');
    jwks.state.failing = true;
    clock.advance(MAX_AGE);
    await store.refresh();
    expect(store.state()).toEqual({ status: 'degraded', keys: 1, error: 'HTTP 503' });
    await expect(lookUp('a')).resolves.toBeDefined();
    await expect(lookUp('unknown')).rejects.toBeInstanceOf(KeysUnavailableError);
  });

  it('refuses an unknown kid without fetching within the cooldown', async () => {
    const { clock, jwks, lookUp } = setup([await publicJwk('a')]);
    await lookUp('a');
    await expect(lookUp('x')).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    expect(jwks.state.calls).toBe(1);
    clock.advance(COOLDOWN);
    await expect(lookUp('x')).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    expect(jwks.state.calls).toBe(2);
  });

  it('refuses a set that is not a JSON Web Key Set, keeping what it had', async () => {
    const { clock, jwks, store, lookUp } = setup([await publicJwk('a')]);
    await lookUp('a');
    jwks.state.keys = 'not a list' as unknown as JWK[];
    clock.advance(COOLDOWN);
    await store.refresh();
    expect(store.state()).toEqual({
      status: 'degraded',
      keys: 1,
      error: 'not a JSON Web Key Set',
    });
    await expect(lookUp('a')).resolves.toBeDefined();
  });
});
