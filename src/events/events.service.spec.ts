import { ApiError } from '../common/errors/api-error';
import type { EventGateway } from '../upstream/event-gateway';
import { strictMock } from '../testing/strict-mock';
import { EventsService } from './events.service';

describe('EventsService', () => {
  describe('getEvent', () => {
    it('answers 404 for an unknown event', async () => {
      const eventApi = strictMock<EventGateway>({
        getEventById: jest.fn().mockResolvedValue(null),
      });
      const error = await new EventsService(eventApi).getEvent('5').catch((e: unknown) => e);
      expect((error as ApiError).toProblem()).toMatchObject({
        status: 404,
        code: 'EVENT_NOT_FOUND',
        message: 'Event "5" not found',
      });
    });
  });
});
