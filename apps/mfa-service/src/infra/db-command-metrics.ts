import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { MetricsService } from '../metrics/metrics.service';

/** The collection a command names (`find`, `update`, `getMore`, …); '' for database commands (`ping`, `endSessions`, …). */
export function collectionOf(commandName: string, command: Record<string, unknown>): string {
  const target = commandName === 'getMore' ? command.collection : command[commandName];
  return typeof target === 'string' ? target : '';
}

/**
 * `mfa_db_commands_total{collection,command}`: every command this process sends, counted from the
 * driver's command monitoring (the connection is opened with `monitorCommands: true`). Database
 * round trips per request are what carries from one engine to another; the benchmark and the
 * tests read them here. Labels are bounded: the service's own collections and the driver's command names.
 */
@Injectable()
export class DbCommandMetrics {
  constructor(@InjectConnection() connection: Connection, metrics: MetricsService) {
    const commands = metrics.counter('mfa_db_commands_total', 'Database commands sent by this process, by collection and command', ['collection', 'command']);
    connection.getClient().on('commandStarted', (event) => {
      commands.inc({ collection: collectionOf(event.commandName, event.command as Record<string, unknown>), command: event.commandName });
    });
  }
}
