/** What `on` returns: call `dispose()` to stop listening. */
export interface Disposable {
  dispose(): void;
}

/**
 * A minimal typed event emitter. Listener errors are swallowed: one faulty listener must not keep
 * the others from hearing the event, nor break the code that emitted it.
 */
export class Emitter<T> {
  private readonly listeners = new Set<(event: T) => void>();

  on(listener: (event: T) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  emit(event: T): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // See the class comment.
      }
    }
  }
}
