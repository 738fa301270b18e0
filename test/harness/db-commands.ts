import type { Counter } from 'prom-client';
import { MetricsService } from '../../apps/mfa-service/src/metrics/metrics.service';
import type { TestApp } from './test-app';

/** `mfa_db_commands_total` of one application (the production metric), as `collection command` → count. */
export async function dbCommands(app: TestApp): Promise<Map<string, number>> {
  const metric = app.app.get(MetricsService).registry.getSingleMetric('mfa_db_commands_total') as Counter<'collection' | 'command'>;
  const { values } = await metric.get();
  return new Map(values.map((v) => [`${v.labels.collection} ${v.labels.command}`, v.value]));
}
