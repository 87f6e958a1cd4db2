/**
 * Child-process plumbing shared by the benches: forking a bench process (relative to this
 * folder), waiting for one of its IPC messages with a deadline, and request/reply by id.
 * Every forked child is remembered so an orchestrator can SIGKILL what is left on exit.
 */
import { fork, type ChildProcess } from 'node:child_process';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The children still running. */
export const children = new Set<ChildProcess>();

/** Forks `file` (relative to the compiled bench folder) with an IPC channel. */
export function spawn(file: string, env: Record<string, string>, execArgv: string[] = []): ChildProcess {
  const child = fork(new URL(file, import.meta.url), [], { env: { ...process.env, ...env }, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

/** The next message `accept` takes, or a rejection if the child exits or `timeoutMs` passes first. */
export function nextMessage<T>(child: ChildProcess, accept: (m: T) => boolean, what: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown): void => {
      if (!accept(m as T)) return;
      done();
      resolve(m as T);
    };
    const onExit = (code: number | null): void => (done(), reject(new Error(`${what}: the child exited (${code}) first`)));
    const timer = setTimeout(() => (done(), reject(new Error(`${what}: no answer within ${timeoutMs} ms`))), timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage).off('exit', onExit);
    };
    child.on('message', onMessage).on('exit', onExit);
  });
}

/** A command without the id `ask` adds. */
export type Unsent<T> = T extends unknown ? Omit<T, 'id'> : never;

interface Reply {
  readonly type: string;
  readonly id?: number;
  readonly error?: string;
  readonly value?: unknown;
}

let nextId = 1;

/** Sends `command` with a fresh id and resolves with the value of the `reply` carrying that id. */
export async function ask<T>(server: ChildProcess, command: { readonly cmd: string; readonly [key: string]: unknown }, timeoutMs = 60_000): Promise<T> {
  const id = nextId++;
  server.send({ ...command, id });
  const reply = await nextMessage<Reply>(server, (m) => m.type === 'reply' && m.id === id, `server ${command.cmd}`, timeoutMs);
  if (reply.error) throw new Error(`server ${command.cmd}: ${reply.error}`);
  return reply.value as T;
}
