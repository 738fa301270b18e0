import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppError } from '../errors/app-error';
import { toErrorResponse } from '../errors/error-response';
import { INTERNAL_MESSAGE_KEY } from './internal-message.decorator';
import { requestIdOf } from './request-id';

/**
 * The one place where anything thrown becomes an HTTP answer. Expected failures
 * (AppError) keep their message; everything else is logged with its type only
 * (driver messages can carry data) and answered with the endpoint's documented 500 message.
 */
@Catch()
export class GlobalExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request & { [INTERNAL_MESSAGE_KEY]?: string }>();
    const res = http.getResponse<Response>();
    const { status, body, headers } = toErrorResponse(exception, { internalMessage: req[INTERNAL_MESSAGE_KEY] });
    if (status >= 500 && !(exception instanceof AppError && exception.kind !== 'internal')) {
      this.logger.error({
        msg: 'request failed',
        requestId: requestIdOf(req),
        route: req.route?.path,
        errorType: exception instanceof Error ? exception.name : typeof exception,
        code: exception instanceof AppError ? exception.code : undefined,
        stack: exception instanceof Error ? exception.stack?.split('\n').slice(1, 6).join('\n') : undefined,
      });
    }
    if (res.headersSent) return;
    res.status(status).set(headers).json(body);
  }
}
