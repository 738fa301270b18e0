import { isExactOrigin } from './exact-origin';

describe('isExactOrigin', () => {
  it.each(['https://app.example.com', 'http://localhost:3000', 'https://login.example.com:8443'])('accepts %s', (origin) => {
    expect(isExactOrigin(origin)).toBe(true);
  });

  it.each(['https://app.example.com/', 'https://app.example.com/path', 'app.example.com', 'ftp://app.example.com', 'HTTPS://APP.example.com', '*', ''])(
    'refuses %j',
    (origin) => expect(isExactOrigin(origin)).toBe(false),
  );
});
