import { CircuitState } from '../circuit-breaker';
import { ApiError } from '../common/errors/api-error';
import type { EventGateway } from '../upstream/event-gateway';
import {
  UpstreamCircuitOpenError,
  UpstreamHttpError,
  UpstreamTimeoutError,
} from '../upstream/event-api.errors';
import { strictMock } from '../testing/strict-mock';
import { testConfig } from '../testing/test-config';
import { UsersService } from './users.service';

const config = testConfig({ UPSTREAM_MAX_CONCURRENCY: '2' });

describe('UsersService', () => {
  const user = { id: '1', name: 'Ada', events: ['2', '1', '9', '2'] };
  const event = (id: string) => ({ id, name: `E${id}`, userId: '1' });

  it('answers 404 for a user the upstream does not know', async () => {
    const eventApi = strictMock<EventGateway>({ getUserById: jest.fn().mockResolvedValue(null) });
    const error = await new UsersService(eventApi, config).getUser('9').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).toProblem()).toMatchObject({
      status: 404,
      code: 'USER_NOT_FOUND',
      message: 'User "9" not found',
    });
  });

  describe('getUserEvents', () => {
    it("returns the user's events in the user's order, each id fetched once, leaving out ids the upstream lost", async () => {
      const eventApi = strictMock<EventGateway>({
        getUserById: jest.fn().mockResolvedValue(user),
        getEventById: jest.fn((id: string) => Promise.resolve(id === '9' ? null : event(id))),
      });
      await expect(new UsersService(eventApi, config).getUserEvents('1')).resolves.toEqual([
        event('2'),
        event('1'),
      ]);
      expect(eventApi.getEventById.mock.calls).toEqual([
        ['2', '1'],
        ['1', '1'],
        ['9', '1'],
      ]);
    });

    it('answers 404 for an unknown user and fetches no events', async () => {
      const eventApi = strictMock<EventGateway>({
        getUserById: jest.fn().mockResolvedValue(null),
      });
      await expect(new UsersService(eventApi, config).getUserEvents('9')).rejects.toBeInstanceOf(
        ApiError,
      );
    });

    it('fails the whole list when one event fails, rather than answering part of it', async () => {
      const eventApi = strictMock<EventGateway>({
        getUserById: jest.fn().mockResolvedValue(user),
        getEventById: jest.fn((id: string) =>
          id === '1' ? Promise.reject(new UpstreamHttpError(500)) : Promise.resolve(event(id)),
        ),
      });
      await expect(new UsersService(eventApi, config).getUserEvents('1')).rejects.toBeInstanceOf(
        UpstreamHttpError,
      );
    });
  });

  describe('getUserEventsLeniently', () => {
    it("makes each failed fetch a hole in the user's order, fetching every distinct id once", async () => {
      const timeout = new UpstreamTimeoutError(1000);
      const eventApi = strictMock<EventGateway>({
        getUserById: jest.fn().mockResolvedValue({ ...user, events: ['2', '1', '9', '2', '5'] }),
        getEventById: jest.fn((id: string) =>
          id === '1' ? Promise.reject(timeout) : Promise.resolve(id === '9' ? null : event(id)),
        ),
      });
      await expect(new UsersService(eventApi, config).getUserEventsLeniently('1')).resolves.toEqual(
        [
          { kind: 'event', event: event('2') },
          { kind: 'hole', id: '1', error: timeout },
          { kind: 'event', event: event('5') },
        ],
      );
      expect(eventApi.getEventById.mock.calls.map(([id]) => id)).toEqual(['2', '1', '9', '5']);
    });

    it('keeps fetching after failures (strict stops starting new fetches at the first)', async () => {
      const eventApi = strictMock<EventGateway>({
        getUserById: jest.fn().mockResolvedValue({ ...user, events: ['1', '2', '3', '4'] }),
        getEventById: jest.fn(() =>
          Promise.reject(UpstreamCircuitOpenError.of('r', CircuitState.Open, 5000)),
        ),
      });
      const parts = await new UsersService(eventApi, config).getUserEventsLeniently('1');
      expect(parts.map((part) => part.kind)).toEqual(['hole', 'hole', 'hole', 'hole']);
      expect(eventApi.getEventById).toHaveBeenCalledTimes(4);
    });

    it('fails as a strict read does when the user cannot be fetched', async () => {
      const failure = new UpstreamHttpError(503);
      const eventApi = strictMock<EventGateway>({
        getUserById: jest.fn().mockRejectedValue(failure),
      });
      await expect(new UsersService(eventApi, config).getUserEventsLeniently('1')).rejects.toBe(
        failure,
      );
    });

    it('fails on an error that is not an upstream failure (a bug is no hole)', async () => {
      const bug = new TypeError('boom');
      const eventApi = strictMock<EventGateway>({
        getUserById: jest.fn().mockResolvedValue(user),
        getEventById: jest.fn().mockRejectedValue(bug),
      });
      await expect(new UsersService(eventApi, config).getUserEventsLeniently('1')).rejects.toBe(
        bug,
      );
    });
  });
});
