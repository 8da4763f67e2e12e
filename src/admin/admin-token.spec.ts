import crypto from 'node:crypto';
import { AdminToken, bearerToken, unauthorized } from './admin-token';

const TOKEN = '5f0c1e9a7b3d4c2e8f6a0b1c2d3e4f5a6b7c8d9e0f1a2b3c';

describe('AdminToken', () => {
  afterEach(() => jest.restoreAllMocks());

  it('accepts the token itself', () => {
    expect(new AdminToken(TOKEN).matches(TOKEN)).toBe(true);
  });

  it.each([
    ['a different token of the same length', TOKEN.replace(/^5/, '6')],
    ['the last character changed', `${TOKEN.slice(0, -1)}d`],
    ['a prefix', TOKEN.slice(0, -1)],
    ['a longer token starting with it', `${TOKEN}0`],
    ['another case', TOKEN.toUpperCase()],
    ['the empty string', ''],
  ])('refuses %s', (_, presented) => {
    expect(new AdminToken(TOKEN).matches(presented)).toBe(false);
  });

  it('compares two SHA-256 digests of equal length with crypto.timingSafeEqual, whatever the length presented', () => {
    const compare = jest.spyOn(crypto, 'timingSafeEqual');
    const token = new AdminToken(TOKEN);
    for (const presented of [TOKEN, 'short', 'x'.repeat(500)]) token.matches(presented);
    expect(compare).toHaveBeenCalledTimes(3);
    for (const [a, b] of compare.mock.calls) {
      expect([(a as Buffer).length, (b as Buffer).length]).toEqual([32, 32]);
    }
    const digest = crypto.createHash('sha256').update(TOKEN).digest();
    expect(compare.mock.calls[0]).toContainEqual(digest);
  });

  it('refuses to hold an empty token', () => {
    expect(() => new AdminToken('')).toThrow();
  });
});

describe('bearerToken', () => {
  it.each([
    [`Bearer ${TOKEN}`, TOKEN],
    [`bearer ${TOKEN}`, TOKEN],
    [`Bearer   ${TOKEN} `, TOKEN],
    ['Bearer q83vAS+/RWeJ==', 'q83vAS+/RWeJ=='],
  ])('reads %p', (header, expected) => {
    expect(bearerToken(header)).toBe(expected);
  });

  it.each([
    [undefined],
    [''],
    ['Bearer'],
    ['Bearer '],
    [TOKEN],
    [`Basic ${TOKEN}`],
    [`Bearer ${TOKEN} extra`],
    [`Bearer "${TOKEN}"`],
    [[`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]],
  ])('finds no bearer token in %p', (header) => {
    expect(bearerToken(header)).toBeUndefined();
  });
});

describe('unauthorized', () => {
  it('is a 401 challenging for a bearer token, naming invalid_token only when a wrong one was sent', () => {
    expect(unauthorized(false).toProblem()).toMatchObject({
      status: 401,
      code: 'UNAUTHORIZED',
      headers: { 'www-authenticate': 'Bearer realm="event-gateway-admin"' },
    });
    expect(unauthorized(true).toProblem().headers).toEqual({
      'www-authenticate': 'Bearer realm="event-gateway-admin", error="invalid_token"',
    });
  });
});
