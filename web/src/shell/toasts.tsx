/** One Toaster for the whole console; pages push through `useToast()`. */
import { Toaster, useToaster } from '@twilio-paste/core/toast';
import type { ToasterPush } from '@twilio-paste/core/toast';
import { createContext, useCallback, useContext, useEffect, useRef } from 'react';
import type { ReactNode } from 'react';

type Push = (toast: ToasterPush) => void;

const ToastContext = createContext<Push>(() => undefined);

export function ToastProvider({ children }: { children: ReactNode }): ReactNode {
  const toaster = useToaster();
  // useToaster hands out a new push on every render; pages get one stable function instead.
  const latest = useRef(toaster.push);
  useEffect(() => {
    latest.current = toaster.push;
  });
  const push = useCallback<Push>((toast) => latest.current({ dismissAfter: 5000, ...toast }), []);
  return (
    <ToastContext.Provider value={push}>
      {children}
      <Toaster {...toaster} />
    </ToastContext.Provider>
  );
}

export function useToast(): Push {
  return useContext(ToastContext);
}
