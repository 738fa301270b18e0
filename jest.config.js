/**
 * Three tiers (see README): `.unit.spec.ts` (pure, no infrastructure), `.int.spec.ts`
 * (real database / broker) and `.e2e.spec.ts` (HTTP → MongoDB → Kafka). The global setup
 * attaches to or starts the real infrastructure once for the whole run.
 */
const fs = require('node:fs');
const swcConfig = JSON.parse(fs.readFileSync(`${__dirname}/.swcrc`, 'utf8'));

const moduleNameMapper = {
  '^@mfa/(common|auth|persistence|messaging|contracts|client)$': '<rootDir>/libs/$1/src',
  '^@mfa/(common|auth|persistence|messaging|contracts|client)/(.*)$': '<rootDir>/libs/$1/src/$2',
};

const base = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swcConfig, swcrc: false }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.cache/', '/.infra/'],
};

module.exports = {
  globalSetup: '<rootDir>/test/harness/global-setup.js',
  globalTeardown: '<rootDir>/test/harness/global-teardown.js',
  reporters: ['default', '<rootDir>/test/harness/summary-reporter.js'],
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs,test}/**/*.unit.spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/harness/unit-timeout.js'],
    },
    {
      ...base,
      displayName: 'int',
      testMatch: ['<rootDir>/{apps,libs,test}/**/*.int.spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/harness/long-timeout.js'],
      slowTestThreshold: 30,
    },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e.spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/harness/long-timeout.js'],
      slowTestThreshold: 60,
    },
  ],
};
