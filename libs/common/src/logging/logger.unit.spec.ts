import { transformSync } from '@swc/core';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Warnings are emitted on the real process, which jest's sandbox does not expose: the module
 * runs in a child Node (the one running the tests, Node 24 under bin/test).
 */
function runWithWarningRouting(body: string): { stdout: string[]; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mfa-warnings-'));
  try {
    const source = readFileSync(join(__dirname, 'logger.ts'), 'utf8');
    const { code } = transformSync(source, {
      jsc: { parser: { syntax: 'typescript', decorators: true }, target: 'es2022' },
      module: { type: 'commonjs' },
    });
    writeFileSync(join(dir, 'logger.js'), code);
    const script = `
      const { routeProcessWarnings } = require(${JSON.stringify(join(dir, 'logger.js'))});
      routeProcessWarnings((level, message, fields) => console.log(JSON.stringify([level, message, fields])));
      ${body}`;
    const child = spawnSync(process.execPath, ['-e', script], {
      env: { PATH: process.env.PATH, NODE_PATH: join(__dirname, '../../../../node_modules') },
      encoding: 'utf8',
      timeout: 20_000,
    });
    return { stdout: child.stdout.split('\n').filter(Boolean), stderr: child.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('routeProcessWarnings', () => {
  it('sends warnings to the sink as structured fields and nothing to stderr', () => {
    const { stdout, stderr } = runWithWarningRouting(`process.emitWarning('something odd', { type: 'ExperimentalWarning', code: 'X_CODE' });`);
    expect(stderr).toBe('');
    expect(stdout.map((line) => JSON.parse(line))).toEqual([['warn', 'something odd', { warning: { name: 'ExperimentalWarning', code: 'X_CODE' } }]]);
  });

  it('logs the negative timer kafkajs 2.2.4 arms (TimeoutNegativeWarning on Node 24) at debug, never as text on stderr', () => {
    // What kafkajs does; Node 24 emits the warning itself (older Node: the same warning, emitted by hand).
    const body =
      Number(process.versions.node.split('.')[0]) >= 24
        ? 'setTimeout(() => undefined, -1);'
        : `process.emitWarning('-1 is a negative number.', 'TimeoutNegativeWarning');`;
    const { stdout, stderr } = runWithWarningRouting(body);
    expect(stderr).toBe('');
    expect(stdout).toHaveLength(1);
    const [level, , fields] = JSON.parse(stdout[0]) as [string, string, unknown];
    expect(level).toBe('debug');
    expect(fields).toEqual({ warning: { name: 'TimeoutNegativeWarning' } });
  });
});
