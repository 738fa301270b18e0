/**
 * Whether `value` is exactly a browser origin, `http(s)://host[:port]` (no path, not even a
 * trailing slash): the one rule for configured origins (WebAuthn ceremonies, CORS).
 */
export function isExactOrigin(value: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return false;
  }
  return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.origin === value;
}
