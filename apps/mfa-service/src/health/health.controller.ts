import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { JwksMonitor, Public } from '@mfa/auth';
import { KafkaClient } from '@mfa/messaging';
import type { Response } from 'express';
import type { Connection } from 'mongoose';
import { OutboxRelay } from '../outbox/outbox-relay';

const CHECK_TIMEOUT_MS = 2000;

async function pingDatabase(connection: Connection): Promise<boolean> {
  if (connection.readyState !== 1 || !connection.db) return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS)));
    const ping = connection.db
      .admin()
      .ping()
      .then(
        () => true,
        () => false,
      );
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly kafka: KafkaClient,
    private readonly relay: OutboxRelay,
    private readonly jwks: JwksMonitor,
  ) {}

  @Get('live')
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Readiness follows the database only: commands succeed through the outbox while Kafka is away,
   * so a broker outage must not pull every instance out of the load balancer. Kafka's state and the
   * backlog waiting for it are reported (the backlog from the relay's last count: no database work).
   */
  @Get('ready')
  @ApiOperation({
    summary: 'Readiness: the database answers and, when used, the JWKS endpoint was fetched once (503 otherwise); Kafka and the outbox backlog reported',
  })
  async ready(
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ status: string; checks: Record<string, string>; outbox: { backlogEvents: number; oldestUnpublishedAgeSeconds: number } }> {
    const [database, kafka, jwks] = await Promise.all([pingDatabase(this.connection), this.kafka.isReady(CHECK_TIMEOUT_MS), this.jwks.readiness()]);
    // The JWKS endpoint: shown when used; red only until a key set was fetched once (no token could be verified before).
    const ok = database && !jwks?.blocksReadiness;
    res.status(ok ? 200 : 503);
    const backlog = this.relay.backlogSnapshot();
    return {
      status: ok ? 'ok' : 'unavailable',
      checks: { database: database ? 'up' : 'down', kafka: kafka ? 'up' : 'down', ...(jwks ? { jwks: jwks.check } : {}) },
      outbox: { backlogEvents: backlog.events, oldestUnpublishedAgeSeconds: backlog.oldestAgeSeconds },
    };
  }
}
