import { createHash } from 'node:crypto';
import type { MagicLinkPurpose } from '../../factors';

export interface LandingPage {
  html: string;
  /** Content-Security-Policy for exactly this page: its one inline script by hash, nothing from elsewhere. */
  csp: string;
}

const ACTIVATE_PATH = '/mfa/magic-link/activate';

// Reads the token from the form and POSTs it as JSON (the API's only body format); shows the outcome.
const SCRIPT = `document.getElementById('activate').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const button = form.querySelector('button');
  const status = document.getElementById('status');
  button.disabled = true;
  try {
    const response = await fetch(form.action, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: form.elements.token.value }),
    });
    const body = await response.json();
    status.textContent = body.success ? body.message : body.error;
    status.dataset.outcome = body.success ? 'activated' : 'failed';
    if (!body.success) button.disabled = false;
  } catch {
    status.textContent = 'The service could not be reached. Try again.';
    status.dataset.outcome = 'failed';
    button.disabled = false;
  }
});`;
const SCRIPT_HASH = createHash('sha256').update(SCRIPT, 'utf8').digest('base64');

const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(title: string, body: string, formAction: string): LandingPage {
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
  const csp = [
    "default-src 'none'",
    `script-src 'sha256-${SCRIPT_HASH}'`,
    "connect-src 'self'",
    `form-action ${formAction}`,
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}

/**
 * The page a clicked magic link lands on (contract: "the link a person clicks"). A GET shows it
 * and changes nothing; the one button POSTs the token. Setup links are activated here; login links
 * go to the login flow's page when one is configured, else the page says where to go.
 */
export function renderLandingPage(token: string, purpose: MagicLinkPurpose | null, loginUrl: string | undefined): LandingPage {
  if (purpose === null) {
    return page('This link cannot be used', '<p>The link is invalid, has expired or was already used. Ask for a new one.</p>', "'none'");
  }
  if (purpose === 'setup') {
    return page(
      'Activate email sign-in',
      `<p>Confirm that you want to use this email address as a second factor.</p>
<form id="activate" method="post" action="${ACTIVATE_PATH}">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<button type="submit">Activate</button>
</form>
<p id="status" role="status"></p>
<script>${SCRIPT}</script>`,
      "'self'",
    );
  }
  if (loginUrl) {
    return page(
      'Continue signing in',
      `<form id="login" method="get" action="${escapeHtml(loginUrl)}">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<button type="submit">Continue signing in</button>
</form>`,
      new URL(loginUrl).origin,
    );
  }
  return page(
    'Continue signing in',
    '<p>This is a sign-in link. Go back to the sign-in page where you asked for it and open the link from there.</p>',
    "'none'",
  );
}
