import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { map, type Observable } from 'rxjs';
import { Answer } from '../shared/answer';

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
