import { renderQrPngDataUrl } from './qr-code';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('renderQrPngDataUrl', () => {
  it('returns a base64 PNG data URL', async () => {
    const url = await renderQrPngDataUrl('otpauth://totp/Acme:ann%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Acme');
    expect(url.startsWith('data:image/png;base64,')).toBe(true);
    const png = Buffer.from(url.slice('data:image/png;base64,'.length), 'base64');
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    // IHDR follows the signature; a 256 px wide rendering was requested.
    expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
    expect(png.readUInt32BE(16)).toBe(256);
  });

  it('renders different content differently', async () => {
    expect(await renderQrPngDataUrl('a')).not.toBe(await renderQrPngDataUrl('b'));
  });
});
