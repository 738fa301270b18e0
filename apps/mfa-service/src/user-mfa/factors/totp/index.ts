/** The authenticator-app factor's crypto adapter (RFC 6238) and its QR code. */
export * from './totp';
export * from './qr-code';
