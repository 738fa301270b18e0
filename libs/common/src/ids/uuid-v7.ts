import { randomBytes } from 'node:crypto';

let lastMillis = 0;
let sequence = 0;

/**
 * RFC 9562 UUIDv7: 48-bit Unix milliseconds, then randomness. Ids generated in the same
 * millisecond by this process stay monotonic through a 12-bit counter in `rand_a`, so
 * event ids sort in creation order.
 */
export function uuidv7(now: number = Date.now()): string {
  if (now === lastMillis) {
    sequence = (sequence + 1) & 0xfff;
    if (sequence === 0) now = ++lastMillis;
  } else if (now > lastMillis) {
    lastMillis = now;
    sequence = randomBytes(2).readUInt16BE(0) & 0x3ff;
  } else {
    now = lastMillis;
    sequence = (sequence + 1) & 0xfff;
  }
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
