/**
 * The cluster bench's nodes: a fresh schema in the database `BENCH_DATABASE_URL` names, and real
 * Rollcall node processes (`node dist/src/cli.js serve`) on it, each with its log in a file. Every
 * process started here is in `children`, which the orchestrator SIGKILLs on exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { children, sleep } from './child-processes.js';

const CLI = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../src/cli.js');

export interface BenchSchema {
  readonly name: string;
  /** `BENCH_DATABASE_URL` with `-c search_path=<schema>`: what the nodes take as `ROLLCALL_DATABASE_URL`. */
  readonly url: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(baseUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: baseUrl });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`cannot reach PostgreSQL at BENCH_DATABASE_URL (${baseUrl}): ${String(error)}`, { cause: error });
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createSchema(baseUrl: string): Promise<BenchSchema> {
  const name = `cluster_bench_${randomBytes(4).toString('hex')}`;
  await withAdmin(baseUrl, (c) => c.query(`CREATE SCHEMA ${name}`));
  return {
    name,
    url: `${baseUrl}${baseUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${name}`)}`,
    drop: () => withAdmin(baseUrl, (c) => c.query(`DROP SCHEMA ${name} CASCADE`)).then(() => undefined),
  };
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface BenchNode {
  readonly name: string;
  readonly url: string;
  readonly process: ChildProcess;
  readonly logFile: string;
}

/**
 * Starts `rollcall serve` with the production defaults plus `env` (port, name, database and what
 * the bench sets on purpose) and resolves once it listens. `execArgv` is for `--cpu-prof`.
 */
export async function startNode(name: string, env: Record<string, string>, runDir: string, execArgv: string[] = []): Promise<BenchNode> {
  const port = await freePort();
  const logFile = path.join(runDir, `node-${name}.log`);
  const dataDir = path.join(runDir, 'data', name);
  mkdirSync(dataDir, { recursive: true });
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, [...execArgv, CLI, 'serve'], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', ROLLCALL_NODE_NAME: name, ROLLCALL_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let head = '';
  const listening = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      log.write(chunk);
      if (head.length < 100_000) head += chunk.toString();
      if (head.includes('Rollcall is listening on')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`node ${name} exited (${code ?? signal}) before listening; its log: ${logFile}\n${head.slice(-2000)}`)));
    setTimeout(() => reject(new Error(`node ${name} did not listen within 60 s; its log: ${logFile}`)), 60_000).unref();
  });
  await listening;
  return { name, url: `http://127.0.0.1:${port}`, process: child, logFile };
}

/** kill -9; resolves at the exit. */
export async function killNode(node: BenchNode): Promise<void> {
  if (node.process.exitCode !== null || node.process.signalCode !== null) return;
  const exited = new Promise((resolve) => node.process.once('exit', resolve));
  node.process.kill('SIGKILL');
  await exited;
}

/** SIGTERM (a graceful stop), SIGKILL after `graceMs`. */
export async function stopNode(node: BenchNode, graceMs = 15_000): Promise<void> {
  if (node.process.exitCode !== null || node.process.signalCode !== null) return;
  const exited = new Promise((resolve) => node.process.once('exit', resolve));
  node.process.kill('SIGTERM');
  await Promise.race([exited, sleep(graceMs)]);
  await killNode(node);
}

export interface Installation {
  readonly account_sid: string;
  readonly api_key_sid: string;
  readonly api_key_secret: string;
  readonly workspace_sid: string;
}

/** `rollcall credentials --json --show-secrets` with the nodes' database, as an operator would read them. */
export async function readCredentials(env: Record<string, string>): Promise<Installation> {
  const child = spawn(process.execPath, [CLI, 'credentials', '--json', '--show-secrets'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`rollcall credentials exited with ${code}`);
  return JSON.parse(out) as Installation;
}
