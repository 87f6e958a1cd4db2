// The SDK falls back to the `ws` package only when there is no global WebSocket; a browser has
// one, so this stand-in just hands back the native class.
export default globalThis.WebSocket;
