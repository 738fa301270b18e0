#!/usr/bin/env node
// Signs a development bearer token (HS256) that a locally running mfa-service accepts.
//
//   node scripts/dev-token.mjs --sub user-1 --org org-1 --role 255
//   TOKEN=$(node scripts/dev-token.mjs --sub user-1)
//
// AUTH_JWT_SECRET, AUTH_ISSUER and AUTH_AUDIENCE come from the environment or, for each one
// that is not set, from .infra/dev.env (written by bin/dev on its first run). Prints only the
// token on stdout. Usage errors: exit 2. Development only: refuses when NODE_ENV=production.
import { createSecretKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEV_ENV = join(ROOT, '.infra', 'dev.env');
const ROLES = { USER: 0, BILLING: 1, WORKSPACES: 2, ADMINISTRATOR: 254, OWNER: 255 };

const USAGE = `Usage: node scripts/dev-token.mjs --sub <userId> [options]

Prints a signed HS256 development token for mfa-service.

Options:
  --sub <id>       user id (the token subject), required
  --org <id>       organization id (orgId claim)
  --role <role>    organization role: a number or ${Object.entries(ROLES).map(([k, v]) => `${k}(${v})`).join(', ')}
  --email <email>  email claim
  --amr <list>     authentication methods, comma-separated, e.g. otp,pwd
  --ttl <time>     lifetime: seconds or a number with s/m/h/d, e.g. 90s, 15m, 1h (default 1h; the service refuses
                   lifetimes over AUTH_MAX_TOKEN_AGE_SECONDS, 1d by default)
  -h, --help       show this help

Signing settings: AUTH_JWT_SECRET, AUTH_ISSUER, AUTH_AUDIENCE from the environment,
else from .infra/dev.env (created by bin/dev).`;

function usageError(message) {
  const help = process.argv.length <= 2 ? `\n${USAGE}` : '(node scripts/dev-token.mjs --help shows the options)';
  process.stderr.write(`dev-token: ${message}\n${help}\n`);
  process.exit(2);
}

function fail(message) {
  process.stderr.write(`dev-token: ${message}\n`);
  process.exit(1);
}

/** KEY=VALUE lines of .infra/dev.env (comments and blank lines skipped); {} when absent. */
function readDevEnv() {
  let text;
  try {
    text = readFileSync(DEV_ENV, 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') return {};
    fail(`cannot read ${DEV_ENV}: ${error.message}`);
  }
  const values = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2].trim();
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    values[match[1]] = value;
  }
  return values;
}

let parsed;
try {
  parsed = parseArgs({
    args: process.argv.slice(2),
    options: {
      sub: { type: 'string' },
      org: { type: 'string' },
      role: { type: 'string' },
      email: { type: 'string' },
      amr: { type: 'string' },
      ttl: { type: 'string', default: '1h' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
} catch (error) {
  usageError(error.message);
}
const opts = parsed.values;
if (opts.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const devEnv = readDevEnv();
const setting = (name) => {
  const fromEnv = process.env[name]?.trim();
  return fromEnv ? fromEnv : devEnv[name] || undefined;
};

if (setting('NODE_ENV') === 'production') {
  fail('refusing to sign a development token with NODE_ENV=production');
}

if (!opts.sub?.trim()) usageError('--sub is required');
const claims = { sub: opts.sub.trim() };

if (opts.org !== undefined) {
  if (!opts.org.trim()) usageError('--org must not be empty');
  claims.orgId = opts.org.trim();
}

if (opts.role !== undefined) {
  const raw = opts.role.trim();
  let role;
  if (/^\d+$/.test(raw)) role = Number(raw);
  else if (Object.hasOwn(ROLES, raw.toUpperCase())) role = ROLES[raw.toUpperCase()];
  if (role === undefined || role > 255) {
    usageError(`--role must be 0-255 or one of ${Object.keys(ROLES).join(', ')}, got "${raw}"`);
  }
  claims.orgRole = role;
}

if (opts.email !== undefined) {
  if (!/^[^\s@]+@[^\s@]+$/.test(opts.email.trim())) usageError(`--email is not an email address: "${opts.email}"`);
  claims.email = opts.email.trim();
}

if (opts.amr !== undefined) {
  const amr = opts.amr.split(',').map((m) => m.trim()).filter(Boolean);
  if (amr.length === 0) usageError('--amr needs at least one method, e.g. otp,pwd');
  claims.amr = amr;
}

const ttlMatch = /^(\d+)\s*([smhd]?)$/.exec(opts.ttl.trim());
if (!ttlMatch || Number(ttlMatch[1]) === 0) usageError(`--ttl must look like 3600, 90s, 15m, 1h or 7d, got "${opts.ttl}"`);
const ttlSeconds = Number(ttlMatch[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[ttlMatch[2]];

const secret = setting('AUTH_JWT_SECRET');
const issuer = setting('AUTH_ISSUER');
const audience = setting('AUTH_AUDIENCE');
const missing = Object.entries({ AUTH_JWT_SECRET: secret, AUTH_ISSUER: issuer, AUTH_AUDIENCE: audience })
  .filter(([, value]) => !value)
  .map(([name]) => name);
if (missing.length > 0) {
  fail(`${missing.join(', ')} not set: export ${missing.length > 1 ? 'them' : 'it'} or run bin/dev once (it writes ${DEV_ENV})`);
}

let jose;
try {
  jose = await import('jose');
} catch {
  fail('the "jose" package is not installed: run bin/dev (or npm ci) first');
}

const now = Math.floor(Date.now() / 1000);
const token = await new jose.SignJWT(claims)
  .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
  .setIssuer(issuer)
  .setAudience(audience)
  .setIssuedAt(now)
  .setExpirationTime(now + ttlSeconds)
  .sign(createSecretKey(Buffer.from(secret, 'utf8')));

process.stdout.write(`${token}\n`);
