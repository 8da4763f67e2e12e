import type { CircuitBreaker, CircuitBreakerSnapshot, CircuitStateChange } from './circuit-breaker';
import type { Disposable } from './circuit-state';

/**
 * Every breaker of the process, by name: what health, metrics and logs read. Listeners added here
 * hear the transitions of breakers registered before and after they subscribed.
 */
export class CircuitBreakerRegistry {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly listeners = new Set<(change: CircuitStateChange) => void>();

  register(breaker: CircuitBreaker): CircuitBreaker {
    if (this.breakers.has(breaker.name)) {
      throw new Error(`A circuit breaker named "${breaker.name}" is already registered`);
    }
    this.breakers.set(breaker.name, breaker);
    breaker.onStateChange((change) => {
      for (const listener of this.listeners) {
        try {
          listener(change);
        } catch {
          // One faulty listener must not keep the others from hearing the transition.
        }
      }
    });
    return breaker;
  }

  /** The breaker with this name; throws for an unknown name (a wiring bug, not a runtime case). */
  get(name: string): CircuitBreaker {
    const breaker = this.breakers.get(name);
    if (!breaker) throw new Error(`No circuit breaker named "${name}"`);
    return breaker;
  }

  list(): CircuitBreaker[] {
    return [...this.breakers.values()];
  }

  snapshots(): CircuitBreakerSnapshot[] {
    return this.list().map((breaker) => breaker.snapshot());
  }

  onStateChange(listener: (change: CircuitStateChange) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }
}
