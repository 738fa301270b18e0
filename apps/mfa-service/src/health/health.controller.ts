import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { JwksMonitor, Public } from '@mfa/auth';
import { KafkaClient } from '@mfa/messaging';
import type { Response } from 'express';
import type { Connection } from 'mongoose';

const CHECK_TIMEOUT_MS = 2000;

async function pingDatabase(connection: Connection): Promise<boolean> {
  if (connection.readyState !== 1 || !connection.db) return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS)));
    const ping = connection.db.admin().ping().then(() => true, () => false);
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
    private readonly jwks: JwksMonitor,
  ) {}

  @Get('live')
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: database and Kafka producer reachable, JWKS endpoint fetched at least once when used (503 otherwise)' })
  async ready(@Res({ passthrough: true }) res: Response): Promise<{ status: string; checks: Record<string, string> }> {
    const [database, kafka, jwks] = await Promise.all([pingDatabase(this.connection), this.kafka.isReady(CHECK_TIMEOUT_MS), this.jwks.readiness()]);
    // The JWKS endpoint: shown when used; red only until a key set was fetched once.
    const ok = database && kafka && !jwks?.blocksReadiness;
    res.status(ok ? 200 : 503);
    return {
      status: ok ? 'ok' : 'unavailable',
      checks: { database: database ? 'up' : 'down', kafka: kafka ? 'up' : 'down', ...(jwks ? { jwks: jwks.check } : {}) },
    };
  }
}
