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
