import { NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import type { EventGateway } from '../upstream/event-gateway';
import { strictMock } from '../testing/strict-mock';
import { UpstreamHttpError } from '../upstream/upstream.errors';
import type { CreateEventDto } from './dto/create-event.dto';
import { EventsService } from './events.service';

describe('EventsService', () => {
  const owner = { id: '1', name: 'Ada', events: ['2', '1', '9', '2'] };
  const event = (id: string) => ({ id, name: `E${id}`, userId: '1' });

  describe('getEventsForUser', () => {
    it("returns the user's events in the user's order, leaving out ids the upstream lost", async () => {
      const gateway = strictMock<EventGateway>({
        getUserById: jest.fn().mockResolvedValue(owner),
        getEventsByIds: jest.fn().mockResolvedValue(
          new Map([
            ['2', event('2')],
            ['1', event('1')],
            ['9', null],
          ]),
        ),
      });
      await expect(new EventsService(gateway).getEventsForUser('1')).resolves.toEqual([
        event('2'),
        event('1'),
      ]);
      expect(gateway.getEventsByIds).toHaveBeenCalledWith(owner.events, '1');
    });

    it('answers 404 for an unknown user and fetches no events', async () => {
      const gateway = strictMock<EventGateway>({ getUserById: jest.fn().mockResolvedValue(null) });
      await expect(new EventsService(gateway).getEventsForUser('9')).rejects.toBeInstanceOf(
        NotFoundException,
      );
    });
  });

  describe('getEvent', () => {
    it('answers 404 for an unknown event', async () => {
      const gateway = strictMock<EventGateway>({ getEventById: jest.fn().mockResolvedValue(null) });
      await expect(new EventsService(gateway).getEvent('5')).rejects.toEqual(
        new NotFoundException('Event "5" not found'),
      );
    });
  });

  describe('createEvent', () => {
    it('checks the owner exists, then creates the event', async () => {
      const created = { id: 'uuid', name: 'Offsite', userId: '1' };
      const gateway = strictMock<EventGateway>({
        getUserById: jest.fn().mockResolvedValue(owner),
        addEvent: jest.fn().mockResolvedValue(created),
      });
      await expect(
        new EventsService(gateway).createEvent({ name: 'Offsite', userId: '1' }),
      ).resolves.toBe(created);
      expect(gateway.addEvent).toHaveBeenCalledWith({ name: 'Offsite', userId: '1' });
    });

    it('drops details: null rather than sending it upstream', async () => {
      const gateway = strictMock<EventGateway>({
        getUserById: jest.fn().mockResolvedValue(owner),
        addEvent: jest.fn().mockResolvedValue({ id: 'uuid', name: 'x', userId: '1' }),
      });
      const input = { name: 'x', userId: '1', details: null } as unknown as CreateEventDto;
      await new EventsService(gateway).createEvent(input);
      expect(gateway.addEvent).toHaveBeenCalledWith({ name: 'x', userId: '1' });
    });

    it('answers 422 for an unknown owner and sends nothing upstream', async () => {
      const gateway = strictMock<EventGateway>({ getUserById: jest.fn().mockResolvedValue(null) });
      await expect(
        new EventsService(gateway).createEvent({ name: 'x', userId: '9' }),
      ).rejects.toBeInstanceOf(UnprocessableEntityException);
    });

    it('lets an upstream failure of the owner check through, without writing', async () => {
      const gateway = strictMock<EventGateway>({
        getUserById: jest.fn().mockRejectedValue(new UpstreamHttpError(500)),
      });
      await expect(
        new EventsService(gateway).createEvent({ name: 'x', userId: '1' }),
      ).rejects.toBeInstanceOf(UpstreamHttpError);
    });
  });
});
