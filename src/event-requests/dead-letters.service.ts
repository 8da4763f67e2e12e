import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { type Clock, WALL_CLOCK } from '../common';
import type { GatewayConfig } from '../common/config/gateway-config';
import { ApiError } from '../common/errors/api-error';
import { QUEUE_REDIS } from '../redis/queue-connection';
import type { RedisConnection } from '../redis/redis-connection';
import { REDIS } from '../redis/redis.module';
import { onQueue } from './event-deliveries.service';
import {
  EVENT_DELIVERY_QUEUE,
  type DeadLetter,
  type DeadLetterPage,
  type DeadLetterRetry,
  type DeadLetters,
  type DeliveryJobData,
} from './event-request.model';

export const CURSOR_MESSAGE = 'cursor must be the `next` of an earlier page';

/**
 * Marks a failed job as retried, only while it is failed and its data is what the caller read:
 * a job in a worker's hands (whose data the worker updates) is never written. Returns 1 when
 * written, -1 when there is no such job, 0 when it is not failed, -2 when its data changed
 * meanwhile (another retry).
 */
const MARK_RETRIED = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
if redis.call('HGET', KEYS[1], 'data') ~= ARGV[2] then return -2 end
redis.call('HSET', KEYS[1], 'data', ARGV[3])
return 1
`;

/** A page's `next`: where the last item listed sits in the failed set (score, then id). */
export function encodeCursor(failedAt: number, id: string): string {
  return Buffer.from(`${failedAt}:${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { readonly failedAt: number; readonly id: string } {
  const match = /^(\d{1,16}):([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) {
    throw new ApiError({
      status: 400,
      code: 'VALIDATION_FAILED',
      message: [CURSOR_MESSAGE],
      log: 'none',
    });
  }
  return { failedAt: Number(match[1]), id: match[2] };
}

/**
 * Creates given up (BullMQ's failed jobs: older than EVENT_DELIVERY_MAX_AGE_MS, or refused for good
 * because the user does not exist), as operators see them: listed newest failure first, paged by a
 * cursor (so retrying the items of one page never makes the next one skip any), and retried. A
 * retried create goes back to the queue with `retriedAt` set: the worker measures its age from
 * then, and looks the event up by id before sending it again, so it is stored at most once.
 */
@Injectable()
export class DeadLetterQueue implements DeadLetters {
  private readonly timeoutMs: number;

  constructor(
    @InjectQueue(EVENT_DELIVERY_QUEUE) private readonly queue: Queue<DeliveryJobData>,
    @Inject(QUEUE_REDIS) private readonly client: Redis,
    @Inject(REDIS) private readonly redis: RedisConnection,
    @Inject(WALL_CLOCK) private readonly clock: Clock,
    config: ConfigService<GatewayConfig, true>,
  ) {
    this.timeoutMs = config.get('redis.queueTimeoutMs', { infer: true });
  }

  async list(limit: number, cursor?: string): Promise<DeadLetterPage> {
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    const ids = await this.onQueue(() => this.failedIds(limit + 1, after));
    const page = ids.slice(0, limit);
    const jobs = await this.onQueue(() => Promise.all(page.map(({ id }) => this.queue.getJob(id))));
    // A job retried or removed since the set was read is left out.
    const items = jobs.flatMap((job) => (job ? this.deadLetter(job) : []));
    const last = page.at(-1);
    return {
      items,
      ...(ids.length > limit && last ? { next: encodeCursor(last.failedAt, last.id) } : {}),
    };
  }

  async retry(id: string): Promise<DeadLetterRetry> {
    const jobKey = this.queue.toKey(id);
    const read = await this.onQueue(() => this.client.hget(jobKey, 'data'));
    if (read === null) return { retried: false, reason: 'not-found' };
    const data = JSON.parse(read) as DeliveryJobData;
    const retriedAt = new Date(this.clock.now()).toISOString();
    const retried: DeliveryJobData = { ...data, retriedAt };
    const marked = await this.onQueue(() =>
      this.client.eval(
        MARK_RETRIED,
        2,
        jobKey,
        this.queue.keys.failed,
        id,
        read,
        JSON.stringify(retried),
      ),
    );
    if (marked === -1) return { retried: false, reason: 'not-found' };
    if (marked !== 1) return { retried: false, reason: 'not-failed' };
    const job = await this.onQueue(() => this.queue.getJob(id));
    if (!job) return { retried: false, reason: 'not-found' };
    try {
      // Atomic in BullMQ: only a job still in the failed set moves back to the queue. Of two
      // retries that both marked it, one moves it, the other is told it is not failed.
      await this.onQueue(() => job.retry('failed'));
    } catch (error) {
      const state = await this.onQueue(() => this.queue.getJobState(id));
      if (state !== 'failed') return { retried: false, reason: 'not-failed' };
      throw error;
    }
    return { retried: true, eventId: data.event.id, retriedAt };
  }

  /**
   * Up to `count` members of the failed set, newest failure first, after `after`. Failures of the
   * same millisecond are ordered by id (descending, as Redis orders them), so the cursor needs both.
   */
  private async failedIds(
    count: number,
    after?: { readonly failedAt: number; readonly id: string },
  ): Promise<{ id: string; failedAt: number }[]> {
    const found: { id: string; failedAt: number }[] = [];
    const max = after === undefined ? '+inf' : String(after.failedAt);
    for (let offset = 0; found.length < count; offset += count) {
      const batch = await this.client.zrevrangebyscore(
        this.queue.keys.failed,
        max,
        '-inf',
        'WITHSCORES',
        'LIMIT',
        offset,
        count,
      );
      for (let index = 0; index + 1 < batch.length; index += 2) {
        const id = batch[index];
        const failedAt = Number(batch[index + 1]);
        // Listed already: the cursor's item, and those of its millisecond before it.
        if (after && failedAt === after.failedAt && id >= after.id) continue;
        if (found.length < count) found.push({ id, failedAt });
      }
      if (batch.length < 2 * count) break;
    }
    return found;
  }

  private deadLetter(job: Job<DeliveryJobData>): DeadLetter[] {
    if (!job.finishedOn || job.id === undefined) return [];
    return [
      {
        id: job.id,
        event: job.data.event,
        createdAt: job.data.createdAt,
        failedAt: new Date(job.finishedOn).toISOString(),
        reason: job.failedReason,
        attempts: job.attemptsMade,
        ...(job.data.retriedAt === undefined ? {} : { retriedAt: job.data.retriedAt }),
      },
    ];
  }

  private onQueue<T>(operation: () => Promise<T>): Promise<T> {
    return onQueue(this.redis, this.timeoutMs, operation);
  }
}
