import type { ValidationError } from 'class-validator';
import { ApiError } from './api-error';

/** Every rule the input broke, one message each (nested properties are named by their path). */
export function validationMessages(errors: readonly ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      parent ? `${parent}.${message}` : message,
    );
    return [...own, ...validationMessages(error.children ?? [], path)];
  });
}

/** The ValidationPipe's `exceptionFactory`: a 400 with code VALIDATION_FAILED and every message. */
export function validationFailed(errors: ValidationError[]): ApiError {
  return new ApiError({
    status: 400,
    code: 'VALIDATION_FAILED',
    message: validationMessages(errors),
    log: 'none',
  });
}
