/** A backup code as stored: its HMAC hash, and when it was used (single use). */
export interface StoredCode {
  hash: string;
  usedAt: Date | null;
}
