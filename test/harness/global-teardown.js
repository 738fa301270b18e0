const { infraScript } = require('./infrastructure');
const { checkIndexCoverage } = require('./index-coverage');

/**
 * Stops only what the setup started: containers always; local processes when running in CI
 * or when asked (MFA_TEST_STOP_INFRA=1). A developer's running infrastructure is left alone.
 */
module.exports = async function globalTeardown() {
  checkIndexCoverage();
  if (globalThis.__MFA_CONTAINERS__) await globalThis.__MFA_CONTAINERS__.stop();
  const source = process.env.MFA_TEST_INFRA_SOURCE || '';
  if (source.startsWith('local') && (process.env.CI === 'true' || process.env.MFA_TEST_STOP_INFRA === '1')) {
    infraScript(['stop']);
  }
};
