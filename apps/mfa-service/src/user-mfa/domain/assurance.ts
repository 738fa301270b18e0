/** What a verified factor is worth (NIST SP 800-63B-4), as the mfaToken states it: `acr` and RFC 8176 `amr`. */
export interface Assurance {
  acr: 'aal1' | 'aal2';
  amr: string[];
}
