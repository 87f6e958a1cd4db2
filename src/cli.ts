/**
 * The `rollcall` command: `serve` runs the server; `credentials`, `token`, `agent-link` and `keys` use the data
 * directory (safe while a server runs: they never register a node or touch presence).
 */
import { existsSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { KEYS_USAGE, keysCommand } from './cli-keys.js';
import { ConfigError, type Config } from './config.js';
import { configFromEnvironment, createRollcall, DataDirLockedError } from './main.js';
import { issueAccessToken } from './service/access-tokens.js';
import { SystemClock } from './service/clocks.js';
import type { Store } from './service/ports.js';
import { createPostgresStore } from './store/postgres/postgres-store.js';
import { createSqliteStore, type SqliteStore } from './store/sqlite/sqlite-store.js';
import { ConsoleService } from './service/console-service.js';

const USAGE = `Usage: rollcall <command>

Commands:
  serve [--demo]                 run the server (--demo also creates workers alice, bob, carol)
  credentials [--json] [--show-secrets]
                                 print the account, API key, workspace and workers; secrets only
                                 with --show-secrets (dangerous: they land in your terminal,
                                 its scrollback and any log of it; see docs/security.md)
  token <worker name or SID> [--ttl SECONDS] [--role worker|admin]
                                 print a worker access token for the agent channel
  agent-link <worker name or SID>
                                 print a one-time sign-in link to the agent desktop for that worker
${KEYS_USAGE}

Environment: PORT (4000), HOST (127.0.0.1), ROLLCALL_DATA_DIR (./data), ROLLCALL_DATABASE_URL (unset: SQLite in
the data directory; postgres://…: PostgreSQL, see docs/postgres.md); see docs/operations.md.`;

/** Each command's options, parsed strictly: an unknown or malformed flag is refused with the usage. */
const OPTIONS = {
  serve: { demo: { type: 'boolean' } },
  credentials: { json: { type: 'boolean' }, 'show-secrets': { type: 'boolean' } },
  token: { ttl: { type: 'string' }, role: { type: 'string' } },
  'agent-link': {},
} as const satisfies Record<string, ParseArgsConfig['options']>;

function parse<O extends NonNullable<ParseArgsConfig['options']>>(command: string, args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(`${command}: ${(error as Error).message}\n\n${USAGE}`);
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const config = configFromEnvironment();
  switch (command) {
    case 'serve':
      return serve(config, parse(command, rest, OPTIONS.serve).values.demo === true);
    case 'credentials': {
      const { values } = parse(command, rest, OPTIONS.credentials);
      return withStore(config, (store) => credentials(store, values.json === true, values['show-secrets'] === true));
    }
    case 'token': {
      const { values, positionals } = parse(command, rest, OPTIONS.token);
      return withStore(config, (store) => token(store, config, positionals[0], values));
    }
    case 'agent-link': {
      const { positionals } = parse(command, rest, OPTIONS['agent-link']);
      return withStore(config, (store) => agentLink(store, config, positionals[0]));
    }
    case 'keys':
      return withStore(config, (store) => keysCommand(store, rest, { out: (line) => console.log(line), err: (line) => console.error(line) }));
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`rollcall: unknown command ${command}\n\n${USAGE}`);
      return 2;
  }
}

async function serve(config: Config, demo: boolean): Promise<number> {
  const rollcall = await createRollcall(config, { demo });
  const url = await rollcall.listen();
  const { account, apiKey, workspace, workers } = rollcall.installation;
  const wsUrl = url.replace(/^http/, 'ws');
  const example = workers[0]?.friendlyName ?? '<worker>';
  const { created, apiKeyCreated } = rollcall.installation;
  // Secrets are printed once, when they are created; later starts name them only (docs/security.md).
  const notShown = '(shown only when it was created; see docs/security.md)';
  process.stdout.write(`
Rollcall is listening on ${url}  (data: ${config.dataDir})

  Account SID     ${account.sid}
  Auth token      ${created ? account.authToken : notShown}
  API key         ${apiKey.sid}
  API key secret  ${apiKeyCreated ? apiKey.secret : notShown}
  Workspace       ${workspace.sid}
  Workers         ${workers.map((w) => `${w.friendlyName} (${w.sid})`).join(', ') || 'none yet'}
${created || apiKeyCreated ? '\nThe secrets above are shown only now: keep them somewhere safe.\n' : ''}
Console: ${url}/console  (sign in with the Account SID and auth token)
Agent desktop for ${example}: npx rollcall agent-link ${example}

Connect an agent with the twilio-taskrouter Worker SDK:
  const token = \`$(npx rollcall token ${example})\`;
  new Worker(token, { ebServer: '${url}/v1/wschannels', wsServer: '${wsUrl}/v1/wschannels' });
Credentials for scripts: npx rollcall credentials --json --show-secrets

`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    rollcall.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      rollcall.log.error({ graceMs: config.shutdownGraceMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownGraceMs);
    force.unref();
    rollcall.close().then(
      () => process.exit(0),
      (error: unknown) => {
        rollcall.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return new Promise<number>(() => undefined);
}

async function withStore(config: Config, fn: (store: SqliteStore) => Promise<number>): Promise<number> {
  if (config.databaseUrl !== null) {
    // PostgreSQL (ROLLCALL_DATABASE_URL): the same ports; one connection is enough for a command.
    const store = await createPostgresStore({ url: config.databaseUrl, poolSize: 1, onConnectionError: (message) => console.error(`rollcall: ${message}`) });
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  }
  if (!existsSync(config.databaseFile)) {
    console.error(`rollcall: no Rollcall data in ${config.dataDir}; start the server once (npm start) to create it.`);
    return 1;
  }
  // A short-lived reader: the server's own checkpointer looks after the WAL.
  const store = createSqliteStore({ file: config.databaseFile, clock: new SystemClock(), checkpointIntervalMs: 0 });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function firstInstallation(store: Store) {
  const [account] = await store.listAccounts();
  if (!account) throw new CliError('the data directory has no account yet; start the server once to create it');
  const apiKey = (await store.listApiKeys(account.sid)).find((k) => k.revokedAt === null);
  if (!apiKey) throw new CliError('the account has no active API key');
  const [workspace] = await store.listWorkspaces(account.sid);
  if (!workspace) throw new CliError('the account has no workspace');
  return { account, apiKey, workspace, workers: await store.listWorkers(workspace.sid) };
}

/**
 * The installation's SIDs; its secrets only on explicit request. Whoever can run this can read the
 * database file anyway (it is owner-only), so the flag adds no power: it keeps secrets out of
 * terminals, scrollback and CI logs unless someone asks for them by name.
 */
async function credentials(store: Store, json: boolean, showSecrets: boolean): Promise<number> {
  const { account, apiKey, workspace, workers } = await firstInstallation(store);
  if (showSecrets) console.error('rollcall: printing secrets (--show-secrets); do not paste this output anywhere.');
  const out = {
    account_sid: account.sid,
    ...(showSecrets ? { auth_token: account.authToken } : {}),
    api_key_sid: apiKey.sid,
    ...(showSecrets ? { api_key_secret: apiKey.secret } : {}),
    workspace_sid: workspace.sid,
    workers: workers.map((w) => ({ sid: w.sid, friendly_name: w.friendlyName })),
  };
  if (json) console.log(JSON.stringify(out, null, 2));
  else for (const [k, v] of Object.entries(out)) console.log(`${k.padEnd(16)} ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  if (!json && !showSecrets) console.log('\nThe auth token and key secret are not shown: add --show-secrets, or make a new key with `rollcall keys create` (docs/security.md).');
  return 0;
}

async function token(store: Store, config: Config, who: string | undefined, options: { ttl?: string; role?: string }): Promise<number> {
  if (!who) throw new CliError('token needs a worker name or SID, e.g. rollcall token alice');
  const ttlS = options.ttl === undefined ? config.tokenTtlS : Number(options.ttl);
  if (!Number.isInteger(ttlS) || ttlS < 1 || ttlS > 86_400) throw new CliError('--ttl must be a whole number of seconds from 1 to 86400');
  const role = options.role ?? 'worker';
  if (role !== 'worker' && role !== 'admin') throw new CliError('--role must be worker or admin');
  const { account, apiKey, workspace } = await firstInstallation(store);
  const worker = (await store.findWorker(workspace.sid, who)) ?? (await store.findWorkerByName(workspace.sid, who));
  if (!worker) throw new CliError(`no worker named or with SID ${who} in workspace ${workspace.sid}`);
  console.log(await issueAccessToken({
    accountSid: account.sid, apiKeySid: apiKey.sid, apiKeySecret: apiKey.secret, workspaceSid: workspace.sid,
    workerSid: worker.sid, identity: worker.friendlyName, role, ttlS, nowMs: Date.now(),
  }));
  return 0;
}

async function agentLink(store: SqliteStore, config: Config, who: string | undefined): Promise<number> {
  if (!who) throw new CliError('agent-link needs a worker name or SID, e.g. rollcall agent-link alice');
  const { account, workspace } = await firstInstallation(store);
  const worker = (await store.findWorker(workspace.sid, who)) ?? (await store.findWorkerByName(workspace.sid, who));
  if (!worker) throw new CliError(`no worker named or with SID ${who} in workspace ${workspace.sid}`);
  const service = new ConsoleService({ store, clock: new SystemClock(), sessionTtlMs: config.consoleSessionTtlMs, agentLinkTtlMs: config.agentLinkTtlMs, tokenTtlS: config.tokenTtlS });
  const link = await service.createAgentLink(workspace.sid, worker.sid, account.sid);
  if (!link.ok) throw new CliError(link.refusal.message);
  const base = config.publicUrl ?? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  console.log(`${base}/console/agent?link=${link.value.token}`);
  console.error(`One-time link for ${worker.friendlyName}; it expires at ${new Date(link.value.expiresAt).toISOString()}.`);
  return 0;
}

class CliError extends Error {}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof CliError || error instanceof ConfigError || error instanceof DataDirLockedError) console.error(`rollcall: ${error.message}`);
    else console.error(error);
    process.exitCode = 1;
  },
);
