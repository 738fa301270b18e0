import { DynamicModule, Global, Injectable, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { MongooseModule } from '@nestjs/mongoose';
import { BearerAuthGuard, JwksMonitor, TokenVerifier } from '@mfa/auth';
import { APP_CONFIG, AppConfig, CLOCK, Clock, InternalMessageGuard, systemClock } from '@mfa/common';
import type { Logger } from 'pino';
import { HealthController } from './health/health.controller';
import { DbCommandMetrics } from './infra/db-command-metrics';
import { MessagingModule } from './infra/messaging.module';
import { ROOT_LOGGER } from './infra/root-logger';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
import { MembershipModule } from './membership/membership.module';
import { MembershipGuard } from './membership/membership.registrar';
import { OrgPolicyModule } from './org-policy/org-policy.module';
import { OutboxModule } from './outbox/outbox.module';
import { UserMfaModule } from './user-mfa/user-mfa.module';

export interface AppOverrides {
  /** Tests inject a controllable clock to exercise windows, expiries and deadlines. */
  clock?: Clock;
}

/** Starts and stops the JWKS endpoint watch with the application. */
@Injectable()
class JwksMonitorLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(private readonly monitor: JwksMonitor) {}
  onApplicationBootstrap(): void {
    this.monitor.start();
  }
  onApplicationShutdown(): void {
    this.monitor.stop();
  }
}

/** Configuration, clock, logger and metrics: everything every feature module may inject. */
@Global()
@Module({})
class CoreModule {
  static forRoot(config: AppConfig, logger: Logger, overrides: AppOverrides): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: ROOT_LOGGER, useValue: logger },
        { provide: CLOCK, useValue: overrides.clock ?? systemClock },
        MetricsService,
        {
          provide: TokenVerifier,
          useFactory: () => TokenVerifier.create(config.auth),
        },
        {
          provide: JwksMonitor,
          useFactory: () => new JwksMonitor(config.auth.keySource.kind === 'jwks' ? config.auth.keySource.url : null, logger),
        },
        JwksMonitorLifecycle,
      ],
      exports: [APP_CONFIG, ROOT_LOGGER, CLOCK, MetricsService, TokenVerifier, JwksMonitor],
    };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logger: Logger, overrides: AppOverrides = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config, logger, overrides),
        MongooseModule.forRoot(config.mongo.url, {
          dbName: config.mongo.dbName,
          serverSelectionTimeoutMS: config.mongo.timeoutMs,
          connectTimeoutMS: config.mongo.timeoutMs,
          // Every operation bounded client-side: a frozen database gives a quick 503, not a hung request.
          timeoutMS: config.mongo.operationTimeoutMs,
          // Fail fast when the database is down instead of queueing commands in memory.
          bufferCommands: false,
          autoIndex: true,
          retryAttempts: 0,
          lazyConnection: false,
          // Command monitoring feeds mfa_db_commands_total (infra/db-command-metrics.ts).
          monitorCommands: true,
        }),
        CqrsModule.forRoot(),
        MessagingModule,
        OutboxModule,
        MembershipModule,
        OrgPolicyModule,
        UserMfaModule,
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        DbCommandMetrics,
        // In this order: the endpoint's 500 message first, then who calls, then their membership.
        { provide: APP_GUARD, useClass: InternalMessageGuard },
        { provide: APP_GUARD, useClass: BearerAuthGuard },
        { provide: APP_GUARD, useExisting: MembershipGuard },
      ],
    };
  }
}
