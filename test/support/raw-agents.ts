/**
 * Agents on raw `ws` agent channels, as the SDK speaks it and as the presence bench drives them:
 * connect with the token, wait for `init`, never send a frame (`ws` answers pings by itself).
 * For tests that need a dozen agents that can all drop at once (`terminate()`: a TCP close).
 */
import { WebSocket } from 'ws';
import { issueAccessToken } from '../../src/service/access-tokens.js';
import type { TestRollcall } from './harness.js';

export interface RawAgent {
  readonly sid: string;
  readonly token: string;
  ws: WebSocket;
}

/** Opens one agent channel; resolves once the server sent `init`. */
export function connectRawAgent(s: TestRollcall, token: string, opened: WebSocket[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${s.url.replace(/^http/, 'ws')}/v1/wschannels?token=${encodeURIComponent(token)}&closeExistingSessions=false`);
    opened.push(ws);
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (text.trim() !== '' && (JSON.parse(text) as { event_type?: string }).event_type === 'init') resolve(ws);
    });
    ws.on('error', reject);
  });
}

/** Creates `count` Available workers named `prefix-i` and connects one raw agent for each. */
export async function rawAgents(s: TestRollcall, count: number, prefix: string, opened: WebSocket[]): Promise<RawAgent[]> {
  const { account, apiKey } = s.rollcall.installation;
  const agents: RawAgent[] = [];
  for (let i = 0; i < count; i++) {
    const created = await s.rollcall.presence.createWorker({
      workspaceSid: s.workspaceSid, friendlyName: `${prefix}-${i}`, attributes: '{}', activitySid: s.activitySid('Available'), actor: account.sid,
    });
    if (!created.ok) throw new Error(created.refusal.message);
    const worker = created.value.worker;
    const token = await issueAccessToken({
      accountSid: account.sid, apiKeySid: apiKey.sid, apiKeySecret: apiKey.secret, workspaceSid: s.workspaceSid,
      workerSid: worker.sid, identity: worker.friendlyName, role: 'worker', ttlS: 3600, nowMs: Date.now(),
    });
    agents.push({ sid: worker.sid, token, ws: await connectRawAgent(s, token, opened) });
  }
  return agents;
}
