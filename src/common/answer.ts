import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { map, type Observable } from 'rxjs';

/**
 * What a handler answers when its status or headers depend on how it was served (a cached read's
 * `Cache-Status`, a create's 201 and `Location`): controllers return it instead of taking `@Res`,
 * and the `AnswerInterceptor` applies it to the reply.
 */
export class Answer<T> {
  constructor(
    readonly body: T,
    readonly headers: Readonly<Record<string, string>> = {},
    /** The status, when it is not the route's default (`@HttpCode`). */
    readonly status?: number,
  ) {}
}

/** Applies a handler's `Answer` (status, headers) to the reply and sends its body. */
@Injectable()
export class AnswerInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((value: unknown) => {
        if (!(value instanceof Answer)) return value;
        const reply = context.switchToHttp().getResponse<FastifyReply>();
        if (value.status !== undefined) void reply.code(value.status);
        void reply.headers(value.headers);
        return value.body as unknown;
      }),
    );
  }
}
