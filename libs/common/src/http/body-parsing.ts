import express, { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import { AppError, validationFailed } from '../errors/app-error';
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

/** Deepest nesting a body may have: the DTO layer (class-transformer / class-validator) recurses. */
export const MAX_JSON_DEPTH = 32;

/**
 * Refuses bodies nested deeper than MAX_JSON_DEPTH, and `__proto__` keys anywhere, before any
 * recursive code sees them. V8's JSON.parse is iterative, so a 45,000-level body parses fine;
 * walking it here is iterative too, and stops at the first level too deep.
 */
export function checkJsonShape(body: unknown): AppError | undefined {
  const stack: Array<{ value: unknown; depth: number }> = [{ value: body, depth: 1 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_JSON_DEPTH) {
      return validationFailed([{ field: '', message: `request body is nested deeper than ${MAX_JSON_DEPTH} levels` }]);
    }
    const children = Array.isArray(value) ? value : Object.values(value);
    if (!Array.isArray(value) && Object.prototype.hasOwnProperty.call(value, '__proto__')) {
      return validationFailed([{ field: '__proto__', message: 'property __proto__ should not exist' }]);
    }
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: depth + 1 });
  }
  return undefined;
}

const limitJsonShape: RequestHandler = (req: Request, _res: Response, next: NextFunction) => {
  next(checkJsonShape((req as { body?: unknown }).body));
};

export function jsonBodyParsing(limitBytes: number): Array<RequestHandler | ErrorRequestHandler> {
  return [requireJsonContentType, express.json({ limit: limitBytes, strict: true }), limitJsonShape, answerBodyErrors];
}

/** Every `/mfa/*` answer (errors included) may carry secrets, codes or tokens: never cached. */
export const noStore: RequestHandler = (_req: Request, res: Response, next: NextFunction) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};
