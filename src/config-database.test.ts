import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('ROLLCALL_DATABASE_URL', () => {
  it('is SQLite in the data directory when unset or empty', () => {
    expect(loadConfig({}).databaseUrl).toBeNull();
    expect(loadConfig({ ROLLCALL_DATABASE_URL: '' }).databaseUrl).toBeNull();
  });

  it('selects PostgreSQL for a postgres:// or postgresql:// URL', () => {
    expect(loadConfig({ ROLLCALL_DATABASE_URL: 'postgres://rollcall@db:5432/rollcall' }).databaseUrl).toBe('postgres://rollcall@db:5432/rollcall');
    expect(loadConfig({ ROLLCALL_DATABASE_URL: 'postgresql://db/rollcall?sslmode=require' }).databaseUrl).toBe('postgresql://db/rollcall?sslmode=require');
  });

  it('refuses anything else, naming the setting', () => {
    expect(() => loadConfig({ ROLLCALL_DATABASE_URL: 'mysql://db/rollcall' })).toThrow(ConfigError);
    expect(() => loadConfig({ ROLLCALL_DATABASE_URL: './rollcall.sqlite' })).toThrow(/ROLLCALL_DATABASE_URL: must be a postgres:\/\/ \(or postgresql:\/\/\) URL/);
  });
});
