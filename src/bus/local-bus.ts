/** The single-process bus: committed events go straight to in-process subscribers. */
import type { Bus, BusMessage, Cancel } from '../service/ports.js';

export function createLocalBus(onListenerError: (error: unknown) => void): Bus {
  const listeners = new Set<(message: BusMessage) => void>();
  return {
    publish(message) {
      for (const listener of listeners) {
        try {
          listener(message);
        } catch (error) {
          // One failing subscriber must not keep the event from the others; it is logged.
          onListenerError(error);
        }
      }
    },
    subscribe(listener): Cancel {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
