import { describe, expect, it } from 'vitest';
import { redactUrl } from './access-log.js';

describe('redactUrl', () => {
  it.each([
    ['/v1/Workspaces/WS1/Workers', '/v1/Workspaces/WS1/Workers'],
    ['/v1/wschannels?token=eyJ.abc.def&closeExistingSessions=true', '/v1/wschannels?token=[redacted]&closeExistingSessions=true'],
    ['/x?Token=1&AuthToken=2&client_secret=3&password=4&X-Twilio-Signature=5', '/x?Token=[redacted]&AuthToken=[redacted]&client_secret=[redacted]&password=[redacted]&X-Twilio-Signature=[redacted]'],
    ['/console/agent?link=abc&view=full', '/console/agent?link=[redacted]&view=full'],
    ['/v1/Workspaces/WS1/Events?PageSize=20&EventType=a.b', '/v1/Workspaces/WS1/Events?PageSize=20&EventType=a.b'],
    ['/x?ApiKey=1&key=2&code=3', '/x?ApiKey=[redacted]&key=[redacted]&code=[redacted]'],
    ['/x?a=%20b&token', '/x?a=%20b&token=[redacted]'],
  ])('%s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});
