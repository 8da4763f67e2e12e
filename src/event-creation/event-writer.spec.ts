import { ApiError } from '../common/errors/api-error';
import type { CreateEventDto } from '../events/dto/create-event.dto';
import type { ReadCache } from '../read-cache/read-cache.service';
import { strictMock } from '../testing/strict-mock';
import { UpstreamHttpError } from '../upstream/event-api.errors';
import type { EventGateway } from '../upstream/event-gateway';
import { EventWriter } from './event-writer';

/** A read cache whose invalidations are recorded. */
const cache = (invalidate = jest.fn().mockResolvedValue(undefined)) =>
  strictMock<ReadCache>({ invalidate });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A create as the routes make it: a new event under a new id, stored once. */
const create = async (writer: EventWriter, input: CreateEventDto) =>
  (await writer.store(writer.newEvent(input), { mayExist: false })).event;

describe('EventWriter.store', () => {
  const owner = { id: '1', name: 'Ada', events: [] };

  const writable = () => jest.fn().mockReturnValue(undefined);

  it('checks the owner exists, then sends the event under a new UUID and returns what it sent', async () => {
    const gateway = strictMock<EventGateway>({
      writeRefusal: writable(),
      getUserById: jest.fn().mockResolvedValue(owner),
      addEvent: jest.fn().mockResolvedValue(undefined),
    });
    const created = await create(new EventWriter(gateway, cache()), {
      name: 'Offsite',
      userId: '1',
    });
    expect(created).toEqual({ id: expect.stringMatching(UUID), name: 'Offsite', userId: '1' });
    expect(gateway.addEvent).toHaveBeenCalledWith(created);
  });

  it('invalidates what a create changes, also when its outcome upstream is unknown', async () => {
    const invalidate = jest.fn().mockResolvedValue(undefined);
    const gateway = strictMock<EventGateway>({
      writeRefusal: writable(),
      getUserById: jest.fn().mockResolvedValue(owner),
      addEvent: jest
        .fn()
        .mockResolvedValueOnce(undefined)
        .mockRejectedValueOnce(new UpstreamHttpError(503)),
    });
    const writer = new EventWriter(gateway, cache(invalidate));
    await create(writer, { name: 'x', userId: '1' });
    await expect(create(writer, { name: 'x', userId: '1' })).rejects.toBeInstanceOf(
      UpstreamHttpError,
    );
    const changed = ['users', 'users/1', 'users/1/events', 'events'];
    expect(invalidate.mock.calls).toEqual([[changed], [changed]]);
  });

  it('gives every create its own id', async () => {
    const gateway = strictMock<EventGateway>({
      writeRefusal: writable(),
      getUserById: jest.fn().mockResolvedValue(owner),
      addEvent: jest.fn().mockResolvedValue(undefined),
    });
    const writer = new EventWriter(gateway, cache());
    const first = await create(writer, { name: 'x', userId: '1' });
    const second = await create(writer, { name: 'x', userId: '1' });
    expect(first.id).not.toBe(second.id);
  });

  it('drops details: null rather than sending it upstream', async () => {
    const gateway = strictMock<EventGateway>({
      writeRefusal: writable(),
      getUserById: jest.fn().mockResolvedValue(owner),
      addEvent: jest.fn().mockResolvedValue(undefined),
    });
    const input = { name: 'x', userId: '1', details: null } as unknown as CreateEventDto;
    await create(new EventWriter(gateway, cache()), input);
    expect(gateway.addEvent.mock.calls[0][0]).not.toHaveProperty('details');
  });

  it('answers 422 for an unknown owner and sends nothing upstream', async () => {
    const gateway = strictMock<EventGateway>({
      writeRefusal: writable(),
      getUserById: jest.fn().mockResolvedValue(null),
    });
    const error = await create(new EventWriter(gateway, cache()), {
      name: 'x',
      userId: '9',
    }).catch((e: unknown) => e);
    expect((error as ApiError).toProblem()).toMatchObject({ status: 422, code: 'UNKNOWN_USER' });
  });

  it('refuses before looking the owner up when the write would be refused', async () => {
    const refusal = new Error('write breaker open');
    const gateway = strictMock<EventGateway>({
      writeRefusal: jest.fn().mockReturnValue(refusal),
    });
    await expect(
      create(new EventWriter(gateway, cache()), { name: 'x', userId: '1' }),
    ).rejects.toBe(refusal);
  });

  it('lets an upstream failure of the owner check through, without writing', async () => {
    const gateway = strictMock<EventGateway>({
      writeRefusal: writable(),
      getUserById: jest.fn().mockRejectedValue(new UpstreamHttpError(500)),
    });
    await expect(
      create(new EventWriter(gateway, cache()), { name: 'x', userId: '1' }),
    ).rejects.toBeInstanceOf(UpstreamHttpError);
  });
});
