import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { RouteTable } from './method-not-allowed';

const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'X-Request-Id', 'Traceparent'];
const EXPOSED_HEADERS = ['X-Request-Id', 'Retry-After'];
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * CORS per the contract's Conventions: off unless `CORS_ALLOWED_ORIGINS` lists exact origins;
 * credentials (cookies) never, since callers send a bearer token. A preflight from an allowed
 * origin answers 204 with the path's methods; from any other origin it gets no CORS headers, so the
 * browser refuses the call.
 */
export function cors(origins: string[], routes: RouteTable): RequestHandler {
  const allowed = new Set(origins);
  return (req: Request, res: Response, next: NextFunction) => {
    if (allowed.size === 0) {
      next();
      return;
    }
    // The answer depends on Origin whenever CORS is on: caches must not mix them up.
    res.vary('Origin');
    const origin = req.header('origin');
    if (origin === undefined) {
      next();
      return;
    }
    const preflight = req.method === 'OPTIONS' && req.header('access-control-request-method') !== undefined;
    if (!allowed.has(origin)) {
      next();
      return;
    }
    res.set('Access-Control-Allow-Origin', origin);
    if (!preflight) {
      res.set('Access-Control-Expose-Headers', EXPOSED_HEADERS.join(', '));
      next();
      return;
    }
    const methods = routes.allowed(req.path);
    if (methods.length === 0) {
      next();
      return;
    }
    res
      .set({
        'Access-Control-Allow-Methods': methods.join(', '),
        'Access-Control-Allow-Headers': ALLOWED_HEADERS.join(', '),
        'Access-Control-Max-Age': String(PREFLIGHT_MAX_AGE_SECONDS),
      })
      .status(204)
      .end();
  };
}
