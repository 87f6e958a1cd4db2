/** The live store for as long as a page shows it: the stream opens on mount and closes on unmount. */
import { useEffect, useState, useSyncExternalStore } from 'react';
import { createLiveStore } from '../live';
import type { LiveState } from '../live';
import { setClockOffset } from './server-clock';

export function useLive(): LiveState {
  const [store] = useState(createLiveStore);
  useEffect(() => store.start(), [store]);
  const state = useSyncExternalStore(store.subscribe, store.getState);
  useEffect(() => setClockOffset(state.clockOffsetMs), [state.clockOffsetMs]);
  return state;
}

