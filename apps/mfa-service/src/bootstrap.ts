import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import {
  accessLog,
  AppConfig,
  createRootLogger,
  createValidationPipe,
  GlobalExceptionFilter,
  jsonBodyParsing,
  noStore,
  PinoNestLogger,
  requestIdMiddleware,
} from '@mfa/common';
import { asyncApiDocument } from '@mfa/contracts';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { AppModule, AppOverrides } from './app.module';
import { cors } from './http/cors';
import { managementRouting } from './http/management';
import { methodNotAllowed, RouteLayer, RouteTable } from './http/method-not-allowed';
import { buildOpenApiDocument } from './http/openapi/openapi-document';
import { MetricsService } from './metrics/metrics.service';

export interface CreatedApp {
  app: INestApplication;
  logger: Logger;
}

/**
 * Builds the fully configured application (used by main.ts and by the e2e tests, so
 * tests exercise exactly what production runs). Does not listen.
 */
export async function createApp(config: AppConfig, overrides: AppOverrides = {}): Promise<CreatedApp> {
  const logger = createRootLogger(config.logLevel);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, logger, overrides), {
    bodyParser: false,
    logger: new PinoNestLogger(logger.child({ component: 'nest' })),
    abortOnError: false,
  });
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  // Order matters: the request id exists before anything can fail, so every answer carries it.
  app.use(requestIdMiddleware);
  app.use(accessLog(logger));
  app.use(app.get(MetricsService).httpMiddleware());
  app.use(managementRouting(config));
  app.use('/mfa', noStore);
  const routes = new RouteTable(() => (app.getHttpAdapter().getInstance() as unknown as { router: { stack: RouteLayer[] } }).router.stack);
  app.use(cors(config.cors.allowedOrigins, routes));
  app.use(methodNotAllowed(routes));
  for (const handler of jsonBodyParsing(config.bodyLimitBytes)) app.use(handler);

  app.useGlobalFilters(new GlobalExceptionFilter());
  app.useGlobalPipes(createValidationPipe());
  setUpOpenApi(app);
  await app.init();
  return { app, logger };
}

function setUpOpenApi(app: INestApplication): void {
  const asyncApi = asyncApiDocument();
  app.getHttpAdapter().get('/docs/asyncapi.json', (_req: Request, res: Response) => res.json(asyncApi));
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json', raw: ['json'] });
}
