import { toDataURL } from 'qrcode';

const DATA_URL_PREFIX = 'data:image/png;base64,';

/** Renders `text` (e.g. an otpauth:// URI) as a PNG data URL the client can put straight into an <img>. */
export async function renderQrPngDataUrl(text: string): Promise<string> {
  const url = await toDataURL(text, { type: 'image/png', errorCorrectionLevel: 'M', margin: 2, width: 256 });
  if (!url.startsWith(DATA_URL_PREFIX)) throw new Error('QR renderer returned an unexpected format');
  return url;
}
