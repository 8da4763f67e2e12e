import {
  isAbsentBody,
  parseEvent,
  parseList,
  parseUser,
  parseWriteAcknowledgement,
} from './event-api.parsers';
import { UpstreamMalformedResponseError } from './event-api.errors';

describe('upstream body parsers', () => {
  describe('parseUser', () => {
    it('normalises the upstream user: userName to name, numeric ids to strings', () => {
      expect(
        parseUser({ id: 1, userName: 'Ada', email: 'ada@example.com', events: ['1', 2] }),
      ).toEqual({
        id: '1',
        name: 'Ada',
        email: 'ada@example.com',
        events: ['1', '2'],
      });
    });

    it('names the user by the id it was fetched with', () => {
      expect(parseUser({ id: 99, userName: 'Ada', events: [] }, '1').id).toBe('1');
    });

    it('accepts a fixed upstream that says name, and a missing events list', () => {
      expect(parseUser({ id: '7', name: 'Grace' })).toEqual({ id: '7', name: 'Grace', events: [] });
    });

    it.each([
      ['a string', 'hello'],
      ['an array', [{ id: 1 }]],
      ['no name', { id: 1, events: [] }],
      ['a blank name', { id: 1, userName: '  ', events: [] }],
      ['events that are not a list', { id: 1, userName: 'A', events: '1,2' }],
      ['an event id with a slash', { id: 1, userName: 'A', events: ['../etc'] }],
      ['a negative id', { id: -1, userName: 'A', events: [] }],
      ['a fractional id', { id: 1.5, userName: 'A', events: [] }],
      ['a name of 1001 characters', { id: 1, userName: 'x'.repeat(1001), events: [] }],
    ])('rejects a user that is %s', (_, body) => {
      expect(() => parseUser(body)).toThrow(UpstreamMalformedResponseError);
    });
  });

  describe('parseEvent', () => {
    it('names the event by the id it asked for, not the inconsistent id in the body', () => {
      expect(parseEvent({ id: 70, name: 'Walk', userId: 4, details: 'park' }, '7')).toEqual({
        id: '7',
        name: 'Walk',
        userId: '4',
        details: 'park',
      });
    });

    it('uses the owner it was listed under when the body names none', () => {
      expect(parseEvent({ id: 1, name: 'Walk' }, '1', '4').userId).toBe('4');
    });

    it('leaves out null details', () => {
      expect(parseEvent({ id: 1, name: 'Walk', userId: 1, details: null })).toEqual({
        id: '1',
        name: 'Walk',
        userId: '1',
      });
    });

    it.each([
      ['null', null],
      ['a number', 42],
      ['missing its owner', { id: 1, name: 'x' }],
      ['named with a number', { id: 1, name: 5, userId: 1 }],
      ['with details that are not text', { id: 1, name: 'x', userId: 1, details: { a: 1 } }],
    ])('rejects an event that is %s', (_, body) => {
      expect(() => parseEvent(body)).toThrow(UpstreamMalformedResponseError);
    });
  });

  it('rejects a list that is not an array', () => {
    expect(() => parseList({ users: [] }, 'user list', parseUser)).toThrow(
      UpstreamMalformedResponseError,
    );
  });

  it('rejects a whole list when one item is malformed', () => {
    expect(() =>
      parseList([{ id: 1, userName: 'A' }, { id: 2 }], 'user list', (item) => parseUser(item)),
    ).toThrow(UpstreamMalformedResponseError);
  });

  it.each([[''], ['  '], [null], [undefined], [{}]])('treats %p as an absent record', (body) => {
    expect(isAbsentBody(body)).toBe(true);
  });

  it('does not treat a record as absent', () => {
    expect(isAbsentBody({ id: 1 })).toBe(false);
  });

  describe('parseWriteAcknowledgement', () => {
    it('accepts { success: true } and an empty body', () => {
      expect(() => parseWriteAcknowledgement({ success: true })).not.toThrow();
      expect(() => parseWriteAcknowledgement('')).not.toThrow();
    });

    it('rejects { success: false } and a non-object', () => {
      expect(() => parseWriteAcknowledgement({ success: false })).toThrow(
        UpstreamMalformedResponseError,
      );
      expect(() => parseWriteAcknowledgement('<html>')).toThrow(UpstreamMalformedResponseError);
    });

    it.each([['yes'], [1], ['true'], [null], [{}]])(
      'rejects a success that is not true, leaving the effect unknown: %j',
      (success) => {
        let thrown: unknown;
        try {
          parseWriteAcknowledgement({ success });
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(UpstreamMalformedResponseError);
        expect((thrown as UpstreamMalformedResponseError).verdict.effectUnknown).toBe(true);
      },
    );
  });
});
