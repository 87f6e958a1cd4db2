import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('gives the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 4000, host: '127.0.0.1', pingIntervalMs: 10_000, livenessTimeoutMs: 21_000, heartbeatFrameMs: 15_000,
      defaultThresholdS: 30, publicUrl: null, logLevel: 'info',
    });
    expect(c.databaseFile.endsWith('/data/rollcall.sqlite')).toBe(true);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('lists every problem in one error, naming each variable', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', ROLLCALL_PING_INTERVAL_MS: '5000', ROLLCALL_LIVENESS_TIMEOUT_MS: '4000', ROLLCALL_LOG_LEVEL: 'loud', ROLLCALL_PUBLIC_URL: 'not a url' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'ROLLCALL_LOG_LEVEL', 'ROLLCALL_PUBLIC_URL']) expect(problems).toContain(name);
    expect((error as ConfigError).problems.length).toBeGreaterThanOrEqual(3);
  });

  it('refuses a liveness timeout that is not longer than the ping interval', () => {
    expect(() => loadConfig({ ROLLCALL_PING_INTERVAL_MS: '5000', ROLLCALL_LIVENESS_TIMEOUT_MS: '5000' })).toThrow(/ROLLCALL_LIVENESS_TIMEOUT_MS/);
  });

  it('refuses a node lease shorter than two heartbeats, and a node name with spaces', () => {
    expect(() => loadConfig({ ROLLCALL_NODE_HEARTBEAT_MS: '5000', ROLLCALL_NODE_LEASE_MS: '9999' })).toThrow(/ROLLCALL_NODE_LEASE_MS/);
    expect(loadConfig({ ROLLCALL_NODE_HEARTBEAT_MS: '5000', ROLLCALL_NODE_LEASE_MS: '10000' }).nodeLeaseMs).toBe(10_000);
    expect(() => loadConfig({ ROLLCALL_NODE_NAME: 'node a' })).toThrow(/ROLLCALL_NODE_NAME/);
    expect(loadConfig({ ROLLCALL_NODE_NAME: 'node-a' }).nodeName).toBe('node-a');
  });

  it('treats empty variables as unset and trims a trailing slash from the public URL', () => {
    expect(loadConfig({ PORT: '', ROLLCALL_PUBLIC_URL: 'https://rollcall.example.com/' })).toMatchObject({ port: 4000, publicUrl: 'https://rollcall.example.com' });
  });
});
