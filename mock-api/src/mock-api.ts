import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSeedData, type EventRecord } from './seed-data';

/** Every behaviour of the real Event API that the mock reproduces, each adjustable. */
export interface MockApiOptions {
  /** Delay of every `GET /getEventById/:id`. The real upstream: 500 ms. */
  readonly eventLatencyMs: number;
  /** The addEvent failure cycle: in cycles of `cycleLength` calls, the first `successes` succeed. */
  readonly addEventCycle: boolean;
  readonly cycleLength: number;
  readonly cycleSuccesses: number;
  /** Delay before each failing addEvent answer. The real upstream: 100 ms. */
  readonly failureDelayMs: number;
  /** Share of list-route calls (`/getUsers`, `/getEvents`) that fail at the network level. */
  readonly networkErrorRate: number;
  /** Seed of the random generator behind network errors, so runs can be repeated. */
  readonly seed: number;
  readonly logger: boolean;
}

export const DEFAULT_MOCK_API_OPTIONS: MockApiOptions = {
  eventLatencyMs: 500,
  addEventCycle: true,
  cycleLength: 15,
  cycleSuccesses: 5,
  failureDelayMs: 100,
  networkErrorRate: 0.05,
  seed: 42,
  logger: false,
};

/** mulberry32: a tiny seeded PRNG, good enough to decide which calls fail. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Builds (without listening) a Fastify server that behaves like the upstream Event API: numeric
 * ids, `userName`, empty 200 bodies for unknown ids, slow event fetches, the 15-call addEvent
 * failure cycle and random network errors on list routes.
 */
export function createMockApi(overrides: Partial<MockApiOptions> = {}): FastifyInstance {
  const options = { ...DEFAULT_MOCK_API_OPTIONS, ...overrides };
  const app = Fastify({ logger: options.logger });
  let data = createSeedData();
  let random = seededRandom(options.seed);
  let addEventCalls = 0;
  let calls: Record<string, number> = {};

  // Counts every call per route (for benchmarks and demos: GET /__mock/stats).
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    if (!route.startsWith('/__mock')) calls[route] = (calls[route] ?? 0) + 1;
    done();
  });

  /** Drops the connection without an answer, as the real upstream sometimes does. */
  const maybeDropConnection = (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (options.networkErrorRate <= 0 || random() >= options.networkErrorRate) return false;
    void reply.hijack();
    request.raw.socket.destroy();
    return true;
  };

  app.get('/getUsers', async (request, reply) => {
    if (maybeDropConnection(request, reply)) return reply;
    return [...data.users.values()];
  });

  app.get<{ Params: { id: string } }>('/getUserById/:id', async (request, reply) => {
    const user = data.users.get(request.params.id);
    // The real upstream answers an unknown id with 200 and an empty body.
    return user ?? reply.code(200).send('');
  });

  app.get('/getEvents', async (request, reply) => {
    if (maybeDropConnection(request, reply)) return reply;
    return [...data.events.values()];
  });

  app.get<{ Params: { id: string } }>('/getEventById/:id', async (request, reply) => {
    if (options.eventLatencyMs > 0) await sleep(options.eventLatencyMs);
    const event = data.events.get(request.params.id);
    return event ?? reply.code(200).send('');
  });

  app.post<{ Body: Partial<EventRecord> | null }>('/addEvent', async (request, reply) => {
    addEventCalls += 1;
    const positionInCycle = (addEventCalls - 1) % options.cycleLength;
    if (options.addEventCycle && positionInCycle >= options.cycleSuccesses) {
      if (options.failureDelayMs > 0) await sleep(options.failureDelayMs);
      return reply.code(503).send({
        success: false,
        error: 'Service Unavailable',
        message: 'Event API is overloaded, please retry later',
      });
    }
    const body = request.body;
    if (
      !body ||
      body.id === undefined ||
      typeof body.name !== 'string' ||
      body.userId === undefined
    ) {
      return reply.code(400).send({
        success: false,
        error: 'Bad Request',
        message: 'id, name and userId are required',
      });
    }
    const record: EventRecord = {
      id: body.id,
      name: body.name,
      userId: body.userId,
      ...(typeof body.details === 'string' ? { details: body.details } : {}),
    };
    data.events.set(String(body.id), record);
    data.users.get(String(body.userId))?.events.push(String(body.id));
    return { success: true };
  });

  /** Not part of the real API: puts data, the failure cycle and the random sequence back at the start. */
  app.post('/__mock/reset', () => {
    data = createSeedData();
    random = seededRandom(options.seed);
    addEventCalls = 0;
    calls = {};
    return { reset: true };
  });

  /** Not part of the real API: how many calls each route has had since start or reset. */
  app.get('/__mock/stats', () => ({ calls }));

  return app;
}
