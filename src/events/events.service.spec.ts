import { ApiError } from '../common/errors/api-error';
import type { EventApiClient } from '../event-api/event-api.client';
import { UpstreamHttpError } from '../event-api/event-api.errors';
import { strictMock } from '../testing/strict-mock';
import type { CreateEventDto } from './dto/create-event.dto';
import { EventsService } from './events.service';
import type { ReadCache } from '../read-cache/read-cache.service';

/** A read cache whose invalidations are recorded. */
const cache = (invalidate = jest.fn().mockResolvedValue(undefined)) =>
  strictMock<ReadCache>({ invalidate });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('EventsService', () => {
  const owner = { id: '1', name: 'Ada', events: [] };

  describe('getEvent', () => {
    it('answers 404 for an unknown event', async () => {
      const eventApi = strictMock<EventApiClient>({
        getEventById: jest.fn().mockResolvedValue(null),
      });
      const error = await new EventsService(eventApi, cache())
        .getEvent('5')
        .catch((e: unknown) => e);
      expect((error as ApiError).toProblem()).toMatchObject({
        status: 404,
        code: 'EVENT_NOT_FOUND',
        message: 'Event "5" not found',
      });
    });
  });

  describe('createEvent', () => {
    const writable = () => jest.fn();

    it('checks the owner exists, then sends the event under a new UUID and returns what it sent', async () => {
      const eventApi = strictMock<EventApiClient>({
        assertWritable: writable(),
        getUserById: jest.fn().mockResolvedValue(owner),
        addEvent: jest.fn().mockResolvedValue(undefined),
      });
      const created = await new EventsService(eventApi, cache()).createEvent({
        name: 'Offsite',
        userId: '1',
      });
      expect(created).toEqual({ id: expect.stringMatching(UUID), name: 'Offsite', userId: '1' });
      expect(eventApi.addEvent).toHaveBeenCalledWith(created);
    });

    it('invalidates what a create changes, also when its outcome upstream is unknown', async () => {
      const invalidate = jest.fn().mockResolvedValue(undefined);
      const eventApi = strictMock<EventApiClient>({
        assertWritable: writable(),
        getUserById: jest.fn().mockResolvedValue(owner),
        addEvent: jest
          .fn()
          .mockResolvedValueOnce(undefined)
          .mockRejectedValueOnce(new UpstreamHttpError(503)),
      });
      const service = new EventsService(eventApi, cache(invalidate));
      await service.createEvent({ name: 'x', userId: '1' });
      await expect(service.createEvent({ name: 'x', userId: '1' })).rejects.toBeInstanceOf(
        UpstreamHttpError,
      );
      const changed = ['users', 'users/1', 'users/1/events', 'events'];
      expect(invalidate.mock.calls).toEqual([[changed], [changed]]);
    });

    it('gives every create its own id', async () => {
      const eventApi = strictMock<EventApiClient>({
        assertWritable: writable(),
        getUserById: jest.fn().mockResolvedValue(owner),
        addEvent: jest.fn().mockResolvedValue(undefined),
      });
      const service = new EventsService(eventApi, cache());
      const first = await service.createEvent({ name: 'x', userId: '1' });
      const second = await service.createEvent({ name: 'x', userId: '1' });
      expect(first.id).not.toBe(second.id);
    });

    it('drops details: null rather than sending it upstream', async () => {
      const eventApi = strictMock<EventApiClient>({
        assertWritable: writable(),
        getUserById: jest.fn().mockResolvedValue(owner),
        addEvent: jest.fn().mockResolvedValue(undefined),
      });
      const input = { name: 'x', userId: '1', details: null } as unknown as CreateEventDto;
      await new EventsService(eventApi, cache()).createEvent(input);
      expect(eventApi.addEvent.mock.calls[0][0]).not.toHaveProperty('details');
    });

    it('answers 422 for an unknown owner and sends nothing upstream', async () => {
      const eventApi = strictMock<EventApiClient>({
        assertWritable: writable(),
        getUserById: jest.fn().mockResolvedValue(null),
      });
      const error = await new EventsService(eventApi, cache())
        .createEvent({ name: 'x', userId: '9' })
        .catch((e: unknown) => e);
      expect((error as ApiError).toProblem()).toMatchObject({ status: 422, code: 'UNKNOWN_USER' });
    });

    it('refuses before looking the owner up when the write would be refused', async () => {
      const refusal = new Error('write breaker open');
      const eventApi = strictMock<EventApiClient>({
        assertWritable: jest.fn(() => {
          throw refusal;
        }),
      });
      await expect(
        new EventsService(eventApi, cache()).createEvent({ name: 'x', userId: '1' }),
      ).rejects.toBe(refusal);
    });

    it('lets an upstream failure of the owner check through, without writing', async () => {
      const eventApi = strictMock<EventApiClient>({
        assertWritable: writable(),
        getUserById: jest.fn().mockRejectedValue(new UpstreamHttpError(500)),
      });
      await expect(
        new EventsService(eventApi, cache()).createEvent({ name: 'x', userId: '1' }),
      ).rejects.toBeInstanceOf(UpstreamHttpError);
    });
  });
});
