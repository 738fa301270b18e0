import { createHash } from 'node:crypto';
import { renderLandingPage } from './landing-page';

const TOKEN = 'A'.repeat(43);

describe('magic link landing page', () => {
  it('given a setup link, then one button POSTs the token, and the CSP allows exactly the page’s own inline script', () => {
    const { html, csp } = renderLandingPage(TOKEN, 'setup', undefined);
    expect(html.match(/<button/g)).toHaveLength(1);
    expect(html).toContain(`<form id="activate" method="post" action="/mfa/magic-link/activate">`);
    expect(html).toContain(`value="${TOKEN}"`);
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1];
    const hash = createHash('sha256').update(script, 'utf8').digest('base64');
    expect(csp).toBe(`default-src 'none'; script-src 'sha256-${hash}'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`);
  });

  it('given a login link and MAGIC_LINK_LOGIN_URL, then the button takes the token to the login flow (and only there)', () => {
    const { html, csp } = renderLandingPage(TOKEN, 'login', 'https://login.example.test/mfa/link?from=mail');
    expect(html).toContain('<form id="login" method="get" action="https://login.example.test/mfa/link?from=mail">');
    expect(html.match(/<button/g)).toHaveLength(1);
    expect(html).not.toContain('/mfa/magic-link/activate');
    expect(csp).toContain('form-action https://login.example.test;');
  });

  it('given a login link without a login URL, then the page says where to go and has nothing to click', () => {
    const { html, csp } = renderLandingPage(TOKEN, 'login', undefined);
    expect(html).toContain('Go back to the sign-in page');
    expect(html).not.toContain('<button');
    expect(html).not.toContain(TOKEN);
    expect(csp).toContain("form-action 'none'");
  });

  it('given an unknown, used or expired link, then nothing is echoed back', () => {
    const { html } = renderLandingPage('"><script>alert(1)</script>', null, undefined);
    expect(html).toContain('This link cannot be used');
    expect(html).not.toContain('alert(1)');
    expect(html).not.toContain('<button');
  });
});
