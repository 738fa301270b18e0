import { describeShape, QueryShape, shapeOfCommand } from '@mfa/persistence';
import type { MongoClient } from 'mongodb';
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Driver command monitoring for the index-coverage check: every query shape the service sends
 * during the e2e run is written to MFA_TEST_COMMANDS_DIR (set by the global setup) and checked
 * against the declared indexes by the global teardown (index-coverage.js).
 */
export const commandRecordingDir = (): string | undefined => process.env.MFA_TEST_COMMANDS_DIR || undefined;

/** MONGO_URL with command monitoring on (the driver emits commandStarted only then). */
export function withCommandMonitoring(mongoUrl: string): string {
  return `${mongoUrl}${mongoUrl.includes('?') ? '&' : '?'}monitorCommands=true`;
}

export function recordCommands(client: MongoClient): () => void {
  const dir = commandRecordingDir();
  if (!dir) return () => undefined;
  const shapes = new Map<string, QueryShape>();
  client.on('commandStarted', (event) => {
    const shape = shapeOfCommand(event.commandName, event.command as Record<string, unknown>);
    if (shape) shapes.set(`${shape.collection} ${describeShape(shape)}`, shape);
  });
  return () => {
    if (shapes.size === 0) return;
    mkdirSync(dir, { recursive: true });
    appendFileSync(path.join(dir, `${process.pid}.jsonl`), [...shapes.values()].map((s) => JSON.stringify(s)).join('\n') + '\n');
    shapes.clear();
  };
}
