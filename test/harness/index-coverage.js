/**
 * The index-coverage check at the end of a run: every query shape the test apps sent (recorded by
 * command-recorder.ts through driver command monitoring) must be served by a declared index
 * (apps/mfa-service/src/infra/indexes.ts) by MongoDB's planner rules
 * (libs/persistence/src/index-coverage.ts), or be on the allow-list with its reason and bound.
 * FerretDB scans whatever it gets, so this rule check is what stands for MongoDB. Runs on the
 * built code (bin/test builds first). Plain CommonJS: jest loads the teardown untransformed.
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');

function checkIndexCoverage() {
  const dir = process.env.MFA_TEST_COMMANDS_DIR;
  if (!dir || !fs.existsSync(dir)) return; // no e2e app ran
  const shapes = [];
  for (const file of fs.readdirSync(dir)) {
    for (const line of fs.readFileSync(path.join(dir, file), 'utf8').split('\n')) if (line.trim()) shapes.push(JSON.parse(line));
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const dist = path.join(ROOT, 'dist');
  const { checkCoverage } = require(path.join(dist, 'libs/persistence/src/index-coverage.js'));
  const { INDEX_CATALOGUE, INDEX_COVERAGE_ALLOW_LIST } = require(path.join(dist, 'apps/mfa-service/src/infra/indexes.js'));
  const report = checkCoverage(shapes, INDEX_CATALOGUE, INDEX_COVERAGE_ALLOW_LIST);
  if (process.env.MFA_TEST_INDEX_COVERAGE === 'verbose') {
    const { describeShape } = require(path.join(dist, 'libs/persistence/src/index-coverage.js'));
    const lines = [...new Set(shapes.map((s) => `${s.collection} ${describeShape(s)}`))].sort();
    process.stdout.write(`\nrecorded query shapes:\n  ${lines.join('\n  ')}\n`);
  }
  process.stdout.write(
    `\nindex coverage: ${report.served} query shapes served by an index, ${report.allowed.length} allow-listed, ${report.unserved.length} unserved\n`,
  );
  if (report.unserved.length > 0) {
    throw new Error(
      `queries no declared index serves (declare one in apps/mfa-service/src/infra/indexes.ts, or allow-list it with its reason and bound):\n  ${report.unserved.join('\n  ')}`,
    );
  }
}

module.exports = { checkIndexCoverage };
