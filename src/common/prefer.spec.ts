import { parsePrefer, preferredHandling } from './prefer';

describe('Prefer (RFC 7240)', () => {
  describe('preferredHandling', () => {
    it.each([
      'handling=lenient',
      'HANDLING=Lenient',
      'handling="lenient"',
      'handling = lenient',
      '  handling=lenient  ',
      'respond-async, handling=lenient',
      'return=minimal;foo="a, b", handling=lenient',
      'handling=lenient; wait=10, respond-async',
      'handling=lenient;',
      ', , handling=lenient,',
      'wait=, handling=lenient',
      'foo="bar\\"baz, qux", handling=lenient',
    ])('reads %j as lenient', (header) => {
      expect(preferredHandling(header)).toBe('lenient');
    });

    it.each([
      [undefined],
      [''],
      ['handling=strict'],
      ['handling'],
      ['handling='],
      ['handling=""'],
      ['handling=lenientish'],
      ['handling=lenient x'],
      ['handling=strict, handling=lenient'],
      ['respond-async'],
      ['foo="handling=lenient"'],
      ['foo="unterminated, handling=lenient'],
      ['foo="bad\u0001, handling=lenient"'],
      ['x-handling=lenient'],
      ['handling:lenient'],
    ])('reads %j as strict, never as an error', (header) => {
      expect(preferredHandling(header)).toBe('strict');
    });

    it('reads every field line, the first occurrence winning', () => {
      expect(preferredHandling(['respond-async', 'handling=lenient'])).toBe('lenient');
      expect(preferredHandling(['handling=strict', 'handling=lenient'])).toBe('strict');
    });
  });

  describe('parsePrefer', () => {
    it('gives each preference its value and parameters, names in lower case, quotes removed', () => {
      const preferences = parsePrefer('Respond-Async, Wait=10, return=minimal; Foo="a;b" ; bar');
      expect([...preferences.keys()]).toEqual(['respond-async', 'wait', 'return']);
      expect(preferences.get('respond-async')).toEqual({
        name: 'respond-async',
        parameters: new Map(),
      });
      expect(preferences.get('wait')?.value).toBe('10');
      expect(preferences.get('return')).toEqual({
        name: 'return',
        value: 'minimal',
        parameters: new Map([
          ['foo', 'a;b'],
          ['bar', undefined],
        ]),
      });
    });

    it('leaves out a malformed preference and keeps reading the rest', () => {
      expect([...parsePrefer('=x, wait=10, a=b c, @bad, respond-async').keys()]).toEqual([
        'wait',
        'respond-async',
      ]);
    });
  });
});
