/**
 * The dependency rule, checked in CI: domain code is plain TypeScript. It may use other
 * domain code, pure helpers from libs/common (errors, decision, time, ids) and the public
 * contracts, and nothing else: no Nest, mongoose, mongodb, kafkajs, HTTP or infra code. And
 * production code (apps/, libs/) never imports test code (test/, specs).
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'Domain code must not depend on frameworks, drivers or infrastructure.',
      from: { path: '(^|/)domain/' },
      to: {
        pathNot: ['(^|/)domain/', '^libs/common/src/(errors|domain|time|ids)/', '^libs/contracts/src/'],
      },
    },
    {
      name: 'factors-are-pure',
      severity: 'error',
      comment: 'Factor strategies wrap crypto libraries only; no Nest, database or Kafka.',
      from: { path: '^apps/mfa-service/src/user-mfa/factors/' },
      to: { path: '(@nestjs|node_modules/(mongoose|mongodb|kafkajs)/)' },
    },
    {
      name: 'one-folder-per-factor',
      severity: 'error',
      comment:
        "A factor folder (user-mfa/factors/<factor>/) uses no other factor's folder: what they share sits in user-mfa/domain or " +
        'factors/ itself. The one exception: a TOTP setup issues backup codes, so it knows their stored shape.',
      from: { path: '^apps/mfa-service/src/user-mfa/factors/([^/]+)/' },
      to: {
        path: '^apps/mfa-service/src/user-mfa/factors/[^/]+/',
        pathNot: ['^apps/mfa-service/src/user-mfa/factors/$1/', '^apps/mfa-service/src/user-mfa/factors/backup-codes/domain/backup-codes[.]state[.]ts$'],
      },
    },
    {
      name: 'contracts-stand-alone',
      severity: 'error',
      comment: 'libs/contracts is what downstream services import: no service code, no drivers.',
      from: { path: '^libs/contracts/' },
      to: { pathNot: '^libs/contracts/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'client-stands-alone',
      severity: 'error',
      comment: 'libs/client is published as its own package: it imports nothing but itself (global fetch).',
      from: { path: '^libs/client/' },
      to: { pathNot: '^libs/client/' },
    },
    {
      name: 'production-never-imports-tests',
      severity: 'error',
      comment: 'Test code (test/: harness, software authenticator, fixtures; spec files) never ships: production code must not import it.',
      from: { path: '^(apps|libs)/', pathNot: '\\.spec\\.ts$' },
      to: { path: '(^test/|\\.spec\\.ts$|/testing/)' },
    },
    {
      name: 'libs-do-not-import-apps',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.spec\\.ts$' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
  },
};
