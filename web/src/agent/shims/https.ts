// The SDK builds an https.Agent to pin TLS 1.2 for axios on Node; browsers negotiate TLS
// themselves and axios ignores `httpsAgent` there, so an inert class is enough.
export class Agent {
  constructor(_options?: unknown) {}
}
export default { Agent };
