/** The built CLI (dist/src/cli.js) as a child process: for crashes, signals and real exits. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { waitFor } from './wait.js';

export const CLI = path.resolve('dist/src/cli.js');

export interface Credentials {
  account_sid: string;
  api_key_sid: string;
  api_key_secret: string;
  workspace_sid: string;
  workers: { sid: string; friendly_name: string }[];
}

/** Fails with a hint when the CLI has not been built (`npm test` builds before it runs the tests). */
export function requireBuiltCli(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function runCli(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts `rollcall serve --demo`; `output()` is everything it printed so far. */
export async function startServer(env: Record<string, string>): Promise<ChildProcess & { output(): string }> {
  const child = runCli(['serve', '--demo'], env);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor('the server to listen', () => output.includes('Rollcall is listening on') || (child.exitCode !== null && Promise.reject(new Error(output))), 15_000);
  return Object.assign(child, { output: () => output });
}

export async function credentials(env: Record<string, string>): Promise<Credentials> {
  const child = runCli(['credentials', '--json', '--show-secrets'], env);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`rollcall credentials exited with ${code}`);
  return JSON.parse(out) as Credentials;
}
