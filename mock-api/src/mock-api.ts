import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  parseConfigChange,
  parseGeneratedUser,
  type AddEventMode,
  type MockRuntimeConfig,
} from './mock-config';
import { registerDevIdentityProvider } from './dev-identity-provider';
import { createSeedData, type EventRecord, type UserRecord } from './seed-data';

export { ADD_EVENT_MODES, type AddEventMode, type MockRuntimeConfig } from './mock-config';

/** Every behaviour of the real Event API that the mock reproduces, each adjustable. */
export interface MockApiOptions {
  /** Delay of every `GET /getEventById/:id`. The real upstream: 500 ms. */
  readonly eventLatencyMs: number;
  /** Delay of every `GET /getUserById/:id` (0: the real upstream answers it at once). */
  readonly userLatencyMs: number;
  /** Delay of every `GET /getUsers` and `GET /getEvents` (0 by default). */
  readonly listLatencyMs: number;
  /**
   * The addEvent failure cycle: in cycles of `cycleLength` calls, the first `successes` succeed.
   * `false` means addEventMode `ok`; ignored when `addEventMode` is given.
   */
  readonly addEventCycle: boolean;
  /** What `POST /addEvent` does (see `ADD_EVENT_MODES`); default: from `addEventCycle`. */
  readonly addEventMode?: AddEventMode;
  readonly cycleLength: number;
  readonly cycleSuccesses: number;
  /** Delay before each failing addEvent answer. The real upstream: 100 ms. */
  readonly failureDelayMs: number;
  /** Share of list-route calls (`/getUsers`, `/getEvents`) that fail at the network level. */
  readonly networkErrorRate: number;
  /** Every Nth `GET /getEventById/:id` is a straggler (0: none); see MockRuntimeConfig. */
  readonly eventStragglerEvery: number;
  /** Delay of a straggler. */
  readonly eventStragglerLatencyMs: number;
  /** Calls in flight handled at normal latency (0: unlimited); see MockRuntimeConfig. */
  readonly capacity: number;
  /** Added delay per call in flight past `capacity`. */
  readonly overloadLatencyMsPerCall: number;
  /** Share of the read calls arriving past `capacity` answered 503. */
  readonly overloadErrorRate: number;
  /** Seed of the random generator behind network errors, so runs can be repeated. */
  readonly seed: number;
  readonly logger: boolean;
  /** `iss` of the tokens the development identity provider mints (its own base URL). */
  readonly issuer: string;
}

export const DEFAULT_MOCK_API_OPTIONS: MockApiOptions = {
  eventLatencyMs: 500,
  userLatencyMs: 0,
  listLatencyMs: 0,
  addEventCycle: true,
  cycleLength: 15,
  cycleSuccesses: 5,
  failureDelayMs: 100,
  networkErrorRate: 0.05,
  eventStragglerEvery: 0,
  eventStragglerLatencyMs: 2_000,
  capacity: 0,
  overloadLatencyMsPerCall: 5,
  overloadErrorRate: 0.25,
  seed: 42,
  logger: false,
  issuer: 'http://localhost:3001',
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

function initialConfig(options: MockApiOptions): MockRuntimeConfig {
  return {
    eventLatencyMs: options.eventLatencyMs,
    userLatencyMs: options.userLatencyMs,
    listLatencyMs: options.listLatencyMs,
    failureDelayMs: options.failureDelayMs,
    networkErrorRate: options.networkErrorRate,
    addEventMode: options.addEventMode ?? (options.addEventCycle ? 'cycle' : 'ok'),
    eventStragglerEvery: options.eventStragglerEvery,
    eventStragglerLatencyMs: options.eventStragglerLatencyMs,
    capacity: options.capacity,
    overloadLatencyMsPerCall: options.overloadLatencyMsPerCall,
    overloadErrorRate: options.overloadErrorRate,
  };
}

/** The routes of the real Event API: they count toward the mock's in-flight calls. */
const EVENT_API_ROUTES = new Set([
  '/getUsers',
  '/getUserById/:id',
  '/getEvents',
  '/getEventById/:id',
  '/addEvent',
]);

/** Counters of the mock's load (GET /__mock/stats `load`). */
interface LoadCounters {
  /** Most calls in flight at once since start or the last counter reset. */
  peakInFlight: number;
  /** Calls that arrived with more than `capacity` calls in flight (themselves included). */
  overCapacity: number;
  /** Of those, reads answered 503 because of the overload. */
  overloadErrors: number;
  /** `GET /getEventById/:id` calls that were stragglers. */
  stragglers: number;
}

/** What the overload does to one read that arrived past capacity. */
interface Overload {
  readonly delayMs: number;
  readonly refuse: boolean;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An addEvent body the mock can store: `id`, `name` and `userId` present. */
function toEventRecord(body: unknown): EventRecord | undefined {
  if (!isObject(body) || typeof body.name !== 'string') return undefined;
  const { id, userId, details } = body;
  if (typeof id !== 'string' && typeof id !== 'number') return undefined;
  if (typeof userId !== 'string' && typeof userId !== 'number') return undefined;
  return { id, name: body.name, userId, ...(typeof details === 'string' ? { details } : {}) };
}

const badRequest = (message: string | string[]) => ({
  success: false,
  error: 'Bad Request',
  message,
});

/** The upstream's 503 body when it is overloaded (failing addEvent calls, reads past capacity). */
const OVERLOADED = {
  success: false,
  error: 'Service Unavailable',
  message: 'Event API is overloaded, please retry later',
};

const increment = (counts: Record<string, number>, key: string): void => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/**
 * Builds (without listening) a Fastify server that behaves like the upstream Event API: numeric
 * ids, `userName`, empty 200 bodies for unknown ids, slow event fetches, the 15-call addEvent
 * failure cycle and random network errors on list routes. Routes under `/__mock` are not part of
 * the real API: they reset, inspect and reconfigure the mock (see mock-api/README.md).
 */
export function createMockApi(overrides: Partial<MockApiOptions> = {}): FastifyInstance {
  const options: MockApiOptions = { ...DEFAULT_MOCK_API_OPTIONS, ...overrides };
  const app = Fastify({ logger: options.logger });
  let config = initialConfig(options);
  let data = createSeedData();
  let random = seededRandom(options.seed);
  /** Position in the failure cycle: counts only calls answered in `cycle` mode. */
  let cycleCalls = 0;
  let calls: Record<string, number> = {};
  /** How many times each event id was stored by addEvent (for "exactly once" assertions). */
  let stored: Record<string, number> = {};
  /** How many addEvent calls named each event id, whatever their outcome. */
  let addEventCalls: Record<string, number> = {};
  /** Connections of requests the mock will never answer; destroyed on close. */
  const hungSockets = new Set<Socket>();
  /** Event API calls in flight now (arrived, not yet answered or dropped). */
  let inFlight = 0;
  let load: LoadCounters = { peakInFlight: 0, overCapacity: 0, overloadErrors: 0, stragglers: 0 };
  /** getEventById calls since start, reset, or the last change of `eventStragglerEvery`. */
  let stragglerCount = 0;
  /** Accumulates `overloadErrorRate` per call past capacity; each whole unit is one 503. */
  let overloadErrorDebt = 0;
  /** Reads that arrived past capacity, and what happens to them. */
  const overloadOf = new WeakMap<FastifyRequest, Overload>();

  // Counts every call per route (for benchmarks and demos: GET /__mock/stats).
  app.addHook('onRequest', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    if (!route.startsWith('/__mock')) increment(calls, route);
    if (EVENT_API_ROUTES.has(route)) admit(request, reply);
    done();
  });

  /**
   * Counts an Event API call in flight until its answer is finished or its connection closes, and
   * decides what a read arriving past `capacity` suffers: `overloadLatencyMsPerCall` more delay
   * per call in flight past capacity, and a 503 for `overloadErrorRate` of them (evenly spread:
   * with 0.25, every 4th). addEvent counts toward the calls in flight but is never slowed or
   * refused here: its mode says what it does.
   */
  function admit(request: FastifyRequest, reply: FastifyReply): void {
    inFlight += 1;
    load.peakInFlight = Math.max(load.peakInFlight, inFlight);
    let counted = true;
    reply.raw.once('close', () => {
      if (counted) inFlight -= 1;
      counted = false;
    });
    const excess = config.capacity > 0 ? inFlight - config.capacity : 0;
    if (excess <= 0) return;
    load.overCapacity += 1;
    if (request.method !== 'GET') return;
    overloadErrorDebt += config.overloadErrorRate;
    const refuse = overloadErrorDebt >= 1;
    if (refuse) overloadErrorDebt -= 1;
    overloadOf.set(request, { delayMs: excess * config.overloadLatencyMsPerCall, refuse });
  }

  // A read past capacity waits its extra delay (on top of its route's own), or is refused after it.
  app.addHook('preHandler', async (request, reply) => {
    const overload = overloadOf.get(request);
    if (!overload) return;
    await pause(overload.delayMs);
    if (!overload.refuse) return;
    load.overloadErrors += 1;
    return reply.code(503).send(OVERLOADED);
  });

  // A hung request keeps its connection busy, and server.close() waits for busy connections:
  // without this, app.close() would never finish while a client is still waiting.
  app.addHook('preClose', (done) => {
    for (const socket of hungSockets) socket.destroy();
    hungSockets.clear();
    done();
  });

  /** Drops the connection without an answer, as the real upstream sometimes does. */
  const maybeDropConnection = (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (config.networkErrorRate <= 0 || random() >= config.networkErrorRate) return false;
    void reply.hijack();
    request.raw.socket.destroy();
    return true;
  };

  /** Never answers: the socket stays open until the client gives up or the mock closes. */
  const hang = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    void reply.hijack();
    const socket = request.raw.socket;
    hungSockets.add(socket);
    socket.once('close', () => hungSockets.delete(socket));
    return reply;
  };

  const pause = async (ms: number): Promise<void> => {
    if (ms > 0) await sleep(ms);
  };

  app.get('/getUsers', async (request, reply) => {
    if (maybeDropConnection(request, reply)) return reply;
    await pause(config.listLatencyMs);
    return [...data.users.values()];
  });

  app.get<{ Params: { id: string } }>('/getUserById/:id', async (request, reply) => {
    await pause(config.userLatencyMs);
    const user = data.users.get(request.params.id);
    // The real upstream answers an unknown id with 200 and an empty body.
    return user ?? reply.code(200).send('');
  });

  app.get('/getEvents', async (request, reply) => {
    if (maybeDropConnection(request, reply)) return reply;
    await pause(config.listLatencyMs);
    return [...data.events.values()];
  });

  app.get<{ Params: { id: string } }>('/getEventById/:id', async (request, reply) => {
    stragglerCount += 1;
    const every = config.eventStragglerEvery;
    const straggler = every > 0 && stragglerCount % every === 0;
    if (straggler) load.stragglers += 1;
    await pause(straggler ? config.eventStragglerLatencyMs : config.eventLatencyMs);
    const event = data.events.get(request.params.id);
    return event ?? reply.code(200).send('');
  });

  app.post<{ Body: unknown }>('/addEvent', async (request, reply) => {
    const { body } = request;
    if (isObject(body) && (typeof body.id === 'string' || typeof body.id === 'number')) {
      increment(addEventCalls, String(body.id));
    }
    const mode = config.addEventMode;

    const overloaded = async () => {
      await pause(config.failureDelayMs);
      return reply.code(503).send(OVERLOADED);
    };

    if (mode === 'hang') return hang(request, reply);
    if (mode === 'fail') return overloaded();
    if (mode === 'cycle') {
      const positionInCycle = cycleCalls % options.cycleLength;
      cycleCalls += 1;
      // As the real upstream: a failing call fails before its body is even looked at.
      if (positionInCycle >= options.cycleSuccesses) return overloaded();
    }

    const record = toEventRecord(body);
    if (!record) return reply.code(400).send(badRequest('id, name and userId are required'));
    const key = String(record.id);
    data.events.set(key, record);
    data.users.get(String(record.userId))?.events.push(key);
    increment(stored, key);

    if (mode === 'store-then-503') return overloaded();
    if (mode === 'store-then-hang') return hang(request, reply);
    return { success: true };
  });

  /**
   * Not part of the real API: puts data, the failure cycle, the random sequence, the counters and
   * the runtime config back to how the mock started.
   */
  app.post('/__mock/reset', () => {
    config = initialConfig(options);
    data = createSeedData();
    random = seededRandom(options.seed);
    cycleCalls = 0;
    stragglerCount = 0;
    overloadErrorDebt = 0;
    resetCounters();
    return { reset: true };
  });

  function resetCounters(): void {
    calls = {};
    stored = {};
    addEventCalls = {};
    // Calls still in flight stay counted: they will be answered (or dropped) later.
    load = { peakInFlight: inFlight, overCapacity: 0, overloadErrors: 0, stragglers: 0 };
  }

  /**
   * Not part of the real API, since start or reset: calls per route, times each event id was
   * stored by addEvent, addEvent calls per event id (whatever their outcome), and the load
   * (calls in flight now and at the peak, calls past capacity, overload 503s, stragglers).
   */
  app.get('/__mock/stats', () => ({ calls, stored, addEventCalls, load: { inFlight, ...load } }));

  /**
   * Not part of the real API: zeroes the counters of GET /__mock/stats (the peak starts again
   * from the calls in flight now); data, config and the failure cycle stay as they are.
   */
  app.post('/__mock/stats/reset', () => {
    resetCounters();
    return { reset: true };
  });

  /** Not part of the real API: the behaviours in force. */
  app.get('/__mock/config', () => config);

  /** Not part of the real API: changes some behaviours (a partial config); all or nothing. */
  app.put<{ Body: unknown }>('/__mock/config', (request, reply) => {
    const parsed = parseConfigChange(request.body);
    if (!parsed.ok) return reply.code(400).send(badRequest(parsed.errors));
    config = { ...config, ...parsed.change };
    // Setting the straggler period (even to the same value) starts its count again.
    if (parsed.change.eventStragglerEvery !== undefined) stragglerCount = 0;
    return config;
  });

  /**
   * Not part of the real API: creates (or replaces) user `:id` with exactly `eventCount` events,
   * ids `<id>-1` ... `<id>-<eventCount>`, for fan-out benchmarks. Gone after a reset.
   */
  app.put<{ Params: { id: string }; Body: unknown }>('/__mock/users/:id', (request, reply) => {
    const { id } = request.params;
    const parsed = parseGeneratedUser(id, request.body);
    if (!parsed.ok) return reply.code(400).send(badRequest(parsed.errors));
    const { userName, email, eventCount } = parsed.user;
    // Replacing a user generated before: its old events go, so the user has exactly N.
    for (const eventId of data.users.get(id)?.events ?? []) {
      if (eventId.startsWith(`${id}-`)) data.events.delete(eventId);
    }
    const user: UserRecord = {
      id: Number(id),
      userName,
      email: email ?? `user${id}@example.com`,
      events: [],
    };
    for (let i = 1; i <= eventCount; i += 1) {
      const eventId = `${id}-${i}`;
      data.events.set(eventId, { id: eventId, name: `${userName} event #${i}`, userId: user.id });
      user.events.push(eventId);
    }
    data.users.set(id, user);
    return user;
  });

  // Not part of the real API: a development identity provider (JWKS and token minting).
  registerDevIdentityProvider(app, options.issuer);

  return app;
}
