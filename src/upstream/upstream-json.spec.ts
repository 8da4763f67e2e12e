import { MAX_UPSTREAM_JSON_DEPTH, nestsAtMost, parseUpstreamJson } from './upstream-json';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('nestsAtMost', () => {
  it('counts objects and arrays, up to the limit and one past it', () => {
    expect(nestsAtMost(nested(3), 3)).toBe(true);
    expect(nestsAtMost(nested(4), 3)).toBe(false);
    expect(nestsAtMost('{"a":[{"b":[1]}]}', 4)).toBe(true);
    expect(nestsAtMost('{"a":[{"b":[1]}]}', 3)).toBe(false);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(nestsAtMost(JSON.stringify({ name: '[[[[{{{{' }), 1)).toBe(true);
    expect(nestsAtMost(JSON.stringify({ name: 'a"[[[[\\' }), 1)).toBe(true);
    expect(nestsAtMost(JSON.stringify([{ name: 'x\\"' }, [[[]]]]), 3)).toBe(false);
  });

  it('depth is the deepest point, not the number of brackets', () => {
    expect(nestsAtMost('[' + '[],'.repeat(10_000) + '[]]', 2)).toBe(true);
  });
});

describe('parseUpstreamJson', () => {
  it('parses JSON as axios would, and leaves text that is not JSON as it is', () => {
    expect(parseUpstreamJson('{"id":1,"events":[1,2]}')).toEqual({ id: 1, events: [1, 2] });
    expect(parseUpstreamJson('')).toBe('');
    expect(parseUpstreamJson('not json')).toBe('not json');
    expect(parseUpstreamJson(undefined)).toBeUndefined();
  });

  it('never parses a body nested deeper than the limit (1 MiB of brackets): it stays text', () => {
    const deep = nested(512 * 1024);
    const parse = jest.spyOn(JSON, 'parse');
    try {
      expect(parseUpstreamJson(deep)).toBe(deep);
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
    const atLimit = nested(MAX_UPSTREAM_JSON_DEPTH);
    expect(parseUpstreamJson(atLimit)).toEqual(expect.any(Array));
  });
});
