import express, { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import { AppError } from '../errors/app-error';
import { toErrorResponse } from '../errors/error-response';

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/** A body must be JSON: anything else is refused instead of being silently read as `{}`. */
const requireJsonContentType: RequestHandler = (req: Request, _res: Response, next: NextFunction) => {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (METHODS_WITH_BODY.has(req.method) && hasBody && !req.is('application/json')) {
    next(new AppError('unsupported_media_type', 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json'));
    return;
  }
  next();
};

/**
 * Parse errors happen before Nest routes the request, so Nest's exception filters never
 * see them; this Express error handler answers them with the same envelope.
 */
const answerBodyErrors: ErrorRequestHandler = (error: unknown, _req: Request, res: Response, _next: NextFunction) => {
  const { status, body, headers } = toErrorResponse(error);
  res.status(status).set(headers).json(body);
};

export function jsonBodyParsing(limitBytes: number): Array<RequestHandler | ErrorRequestHandler> {
  return [requireJsonContentType, express.json({ limit: limitBytes, strict: true }), answerBodyErrors];
}
