import { backoffMs, Emitter, type Disposable } from '../common';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';

/** How long to wait before reconnection attempt n (1, 2, …): 100 ms doubling to at most 2 s, jittered. */
export const reconnectDelayMs = (attempt: number): number =>
  backoffMs(attempt - 1, { baseMs: 100, maxMs: 2000, jitterRatio: 0.5 });

/** After a failed command, how long Redis is left alone before the next try. */
const COOL_DOWN_MS = 1000;

/** Thrown instead of sending a command while Redis is unavailable. */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
  constructor() {
    super('Redis is unavailable');
  }
}

/**
 * The gateway's connection to Redis, built so that Redis can never take the gateway down:
 * commands fail at once while disconnected (no offline queue), slow ones time out
 * (REDIS_COMMAND_TIMEOUT_MS), after a failure Redis is left alone for a second rather than made to
 * slow down every request, and the client reconnects forever in the background. Callers run
 * commands through `run` and fall back (to the upstream, or to process memory) when it throws.
 *
 * It logs once when Redis becomes unavailable and once when it is back, never once per command.
 */
export class RedisConnection {
  readonly client: Redis;
  private connected = false;
  private healthy = true;
  private coolingUntil = 0;
  private readonly logger = new Logger('Redis');
  private readonly changes = new Emitter<boolean>();

  constructor(url: string, commandTimeoutMs: number) {
    this.client = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: commandTimeoutMs,
      connectTimeout: Math.max(1000, commandTimeoutMs),
      retryStrategy: reconnectDelayMs,
    });
    this.client.on('ready', () => {
      this.connected = true;
      this.recovered();
    });
    this.client.on('close', () => {
      this.connected = false;
      this.degrade('connection closed');
    });
    this.client.on('error', (error: Error) => this.degrade(error.message));
  }

  /**
   * Resolves once connected, or once the first attempt failed or `timeoutMs` passed: start-up waits
   * a moment for shared state, but never depends on it.
   */
  firstAttempt(timeoutMs: number): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.client.off('ready', done);
        this.client.off('error', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.client.once('ready', done);
      this.client.once('error', done);
    });
  }

  /** Whether a command may be sent now. */
  get available(): boolean {
    return this.connected && performance.now() >= this.coolingUntil;
  }

  /** Whether Redis answers as it should (what readiness and the `redis_up` gauge show). */
  get up(): boolean {
    return this.connected && this.healthy;
  }

  /** Hears every change of `up`. */
  onChange(listener: (up: boolean) => void): Disposable {
    return this.changes.on(listener);
  }

  /** Runs one command (or script, or pipeline), or throws at once if Redis is unavailable. */
  async run<T>(command: (client: Redis) => Promise<T>): Promise<T> {
    if (!this.available) throw new RedisUnavailableError();
    try {
      const result = await command(this.client);
      this.recovered();
      return result;
    } catch (error) {
      this.coolingUntil = performance.now() + COOL_DOWN_MS;
      this.degrade(error instanceof Error ? error.message : String(error));
      throw error;
    }
  }

  async close(): Promise<void> {
    this.client.removeAllListeners();
    this.client.on('error', () => undefined);
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private degrade(reason: string): void {
    if (!this.healthy) return;
    this.healthy = false;
    this.logger.warn(
      `Redis unavailable (${reason}): reads and creates go to the upstream, rate limits and idempotency keys fall back to this replica's memory until it is back`,
    );
    this.changes.emit(false);
  }

  private recovered(): void {
    if (this.healthy || !this.connected) return;
    this.healthy = true;
    this.coolingUntil = 0;
    this.logger.log('Redis available again: shared state resumed');
    this.changes.emit(true);
  }
}
