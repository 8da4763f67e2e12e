import type { CircuitBreaker, CircuitBreakerSnapshot, CircuitStateChange } from './circuit-breaker';
import { Emitter, type Disposable } from '../common';

/**
 * Every breaker of the process, by name: what health, metrics, logs and operators read. Listeners
 * added here hear the transitions of breakers registered before and after they subscribed.
 */
export class CircuitBreakerRegistry {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly changes = new Emitter<CircuitStateChange>();

  register(breaker: CircuitBreaker): CircuitBreaker {
    if (this.breakers.has(breaker.name)) {
      throw new Error(`A circuit breaker named "${breaker.name}" is already registered`);
    }
    this.breakers.set(breaker.name, breaker);
    breaker.onStateChange((change) => this.changes.emit(change));
    return breaker;
  }

  /** The breaker with this name; throws for an unknown name (a wiring bug, not a runtime case). */
  get(name: string): CircuitBreaker {
    const breaker = this.breakers.get(name);
    if (!breaker) throw new Error(`No circuit breaker named "${name}"`);
    return breaker;
  }

  /** The breaker with this name, or undefined (for names that come from outside, e.g. operators). */
  find(name: string): CircuitBreaker | undefined {
    return this.breakers.get(name);
  }

  list(): CircuitBreaker[] {
    return [...this.breakers.values()];
  }

  snapshots(): CircuitBreakerSnapshot[] {
    return this.list().map((breaker) => breaker.snapshot());
  }

  onStateChange(listener: (change: CircuitStateChange) => void): Disposable {
    return this.changes.on(listener);
  }
}
