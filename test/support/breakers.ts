import type { CircuitBreaker } from '../../src/circuit-breaker';

/** Reports `count` failed calls on a breaker, as the upstream would by failing them. */
export function failCalls(breaker: CircuitBreaker, count: number): void {
  for (let i = 0; i < count; i += 1) {
    const admission = breaker.tryAcquire();
    if (!admission.admitted) throw new Error(`${breaker.name} rejected call ${i + 1}`);
    admission.failure();
  }
}
