import fc from 'fast-check';
import { FakeClock } from '../testing/fake-clock';
import type { EventGateway } from '../upstream/event-gateway';
import {
  UpstreamCircuitOpenError,
  UpstreamHttpError,
  UpstreamNetworkError,
  UpstreamTimeoutError,
} from '../upstream/event-api.errors';
import type { Event } from '../upstream/event-api.models';
import { CircuitState } from '../circuit-breaker';
import { EventWriter } from './event-writer';
import { Idempotency } from '../idempotency/idempotency.service';
import { MemoryIdempotencyStore } from '../idempotency/idempotency.store';
import type { ReadCache } from '../read-cache/read-cache.service';
import { testConfig } from '../testing/test-config';
import { EventCreation } from './event-creation.service';

// Interleavings of requests, retries, timeouts and replica crashes against a small model of the
// upstream: whatever happens, the upstream never holds two events for one Idempotency-Key, and a
// create answered 201 is stored upstream under the id it was answered with.

/** What the upstream does with one addEvent. */
type Behaviour =
  | 'ok'
  | 'refused-by-breaker' // nothing sent
  | 'fail-without-storing' // 503, not stored
  | 'store-then-503'
  | 'store-then-timeout'
  | 'network-error-before-storing'
  | 'store-then-crash' // stored, and the replica dies before it can answer or record anything
  | 'reads-refused'; // the read breaker refuses every read (the look-up by id too)

type Command =
  | { readonly kind: 'send'; readonly key: number; readonly behaviour: Behaviour }
  | { readonly kind: 'advance'; readonly ms: number };

class ModelUpstream {
  readonly events = new Map<string, Event>();
  next: Behaviour = 'ok';

  client(): EventGateway {
    return {
      writeRefusal: () =>
        this.next === 'refused-by-breaker'
          ? UpstreamCircuitOpenError.of('event-api.write', CircuitState.Open, 1000)
          : undefined,
      getUserById: (id: string) => Promise.resolve({ id, name: 'Ada', events: [] }),
      getEventById: (id: string) =>
        this.next === 'reads-refused'
          ? Promise.reject(UpstreamCircuitOpenError.of('event-api.read', CircuitState.Open, 1000))
          : Promise.resolve(this.events.get(id) ?? null),
      addEvent: (event: Event) => {
        switch (this.next) {
          case 'ok':
          case 'reads-refused':
            this.events.set(event.id, event);
            return Promise.resolve();
          case 'store-then-503':
            this.events.set(event.id, event);
            return Promise.reject(new UpstreamHttpError(503));
          case 'store-then-timeout':
            this.events.set(event.id, event);
            return Promise.reject(new UpstreamTimeoutError(300));
          case 'store-then-crash':
            this.events.set(event.id, event);
            return new Promise<void>(() => undefined); // never settles: the replica is gone
          case 'fail-without-storing':
            return Promise.reject(new UpstreamHttpError(503));
          case 'network-error-before-storing':
            return Promise.reject(new UpstreamNetworkError('ECONNRESET'));
          case 'refused-by-breaker':
            return Promise.reject(new Error('unreachable: refused before sending'));
        }
      },
    } as unknown as EventGateway;
  }
}

const LEASE_MS = 4 * 3000 + 5000; // as Idempotency computes it for UPSTREAM_TIMEOUT_MS=3000

const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('send' as const),
      key: fc.integer({ min: 0, max: 2 }),
      behaviour: fc.constantFrom<Behaviour>(
        'ok',
        'refused-by-breaker',
        'fail-without-storing',
        'store-then-503',
        'store-then-timeout',
        'network-error-before-storing',
        'store-then-crash',
        'reads-refused',
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.constantFrom(1, 1000, LEASE_MS - 1, LEASE_MS, LEASE_MS + 1),
    }),
  },
);

describe('creates with an Idempotency-Key, against a model of the upstream', () => {
  it('never stores two events for one key, and every 201 names an event the upstream holds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commandArbitrary, { maxLength: 40 }), async (commands) => {
        const clock = new FakeClock(Date.now());
        const upstream = new ModelUpstream();
        const cache = { invalidate: () => Promise.resolve() } as unknown as ReadCache;
        const writer = new EventWriter(upstream.client(), cache);
        const idempotency = new Idempotency(
          new MemoryIdempotencyStore(() => clock.now()),
          testConfig(),
        );
        const creation = new EventCreation(writer, idempotency);
        const answered = new Map<number, string>(); // key → event id answered 201

        for (const command of commands) {
          if (command.kind === 'advance') {
            clock.advance(command.ms);
            continue;
          }
          upstream.next = command.behaviour;
          const attempt = creation.create({
            input: { name: `event of key ${command.key}`, userId: '1' },
            idempotencyKey: `key-${command.key}`,
            respondAsync: false,
          });
          if (command.behaviour === 'store-then-crash') {
            void attempt.catch(() => undefined); // abandoned with its replica
            await new Promise((resolve) => setImmediate(resolve));
            continue;
          }
          try {
            const { outcome } = await attempt;
            if (outcome.kind === 'created') {
              const id = String(outcome.event.id);
              expect(answered.get(command.key) ?? id).toBe(id); // always the same event for a key
              answered.set(command.key, id);
            }
          } catch {
            // 409, 502, 503, 504: the client would retry, which a later command may do.
          }

          const perKey = new Map<string, number>();
          for (const event of upstream.events.values()) {
            perKey.set(event.name, (perKey.get(event.name) ?? 0) + 1);
          }
          for (const count of perKey.values()) expect(count).toBeLessThanOrEqual(1);
          for (const id of answered.values()) expect(upstream.events.has(id)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  }, 60_000);
});
