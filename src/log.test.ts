import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { censorSecrets, createLogger, REDACTED } from './log.js';

function capture(): { log: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const log = createLogger('info', new Writable({ write: (chunk: Buffer, _enc, done) => (out.push(chunk.toString()), done()) }));
  return { log, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('censorSecrets', () => {
  it('censors secret fields at the top level, one level down and two down, and leaves the rest', () => {
    const input = { token: 'T0', workerSid: 'WK1', apiKey: { secret: 'S1', sid: 'SK1' }, res: { headers: { 'set-cookie': 'C2', vary: 'x' } } };
    expect(censorSecrets(input)).toEqual({
      token: REDACTED, workerSid: 'WK1', apiKey: { secret: REDACTED, sid: 'SK1' }, res: { headers: { 'set-cookie': REDACTED, vary: 'x' } },
    });
  });

  it('never changes the caller\'s object, and returns it as it is when it holds no secret', () => {
    const nested = { secret: 'S1' };
    const input = { a: nested, b: 1 };
    const out = censorSecrets(input) as typeof input;
    expect(nested.secret).toBe('S1');
    expect(out.a).not.toBe(nested);
    const clean = { workerSid: 'WK1', evidence: { lastSeenAt: 1, connections: 0 } };
    expect(censorSecrets(clean)).toBe(clean);
  });

  it('stops three levels down, and does not walk arrays or class instances', () => {
    const deep = { a: { b: { c: { token: 'deep' } } } };
    expect(censorSecrets(deep)).toBe(deep);
    const buffer = Buffer.alloc(4);
    expect(censorSecrets({ data: buffer })).toEqual({ data: buffer });
  });

  it('keeps an error\'s message and stack when it censors one of its fields', () => {
    const error = Object.assign(new Error('refused'), { password: 'P1', code: 'E1' });
    const out = censorSecrets({ err: error }) as { err: Record<string, unknown> };
    expect(out.err).toMatchObject({ type: 'Error', message: 'refused', password: REDACTED, code: 'E1' });
    expect(String(out.err.stack)).toContain('refused');
    expect(error.password).toBe('P1');
  });
});

describe('createLogger', () => {
  it('censors line fields and child bindings, and still serializes errors', () => {
    const { log, lines } = capture();
    log.child({ token: 'BIND1', workerSid: 'WK1' }).info({ headers: { authorization: 'Basic QQ' } }, 'x');
    log.error({ err: new Error('boom') }, 'y');
    const [x, y] = lines();
    expect(x).toMatchObject({ token: REDACTED, workerSid: 'WK1', headers: { authorization: REDACTED }, msg: 'x' });
    expect(y?.err).toMatchObject({ type: 'Error', message: 'boom' });
    expect(JSON.stringify(lines())).not.toContain('BIND1');
  });
});
