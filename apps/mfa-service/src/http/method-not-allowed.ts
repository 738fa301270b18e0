import { AppError } from '@mfa/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** A route as Express keeps it: a path matcher and the methods it serves. */
export interface RouteLayer {
  match(path: string): boolean;
  route?: { methods: Record<string, boolean> };
}

/**
 * Which methods each path serves, read from the Express router on first use (after Nest
 * registered every route; the middlewares using it are mounted before the routes).
 */
export class RouteTable {
  private layers?: RouteLayer[];

  constructor(private readonly routerLayers: () => RouteLayer[]) {}

  /** `Allow` for a path: what its routes serve, HEAD with GET (Express answers it), OPTIONS always; empty for an unknown path. */
  allowed(path: string): string[] {
    this.layers ??= this.routerLayers().filter((layer) => layer.route !== undefined);
    return allowedMethods(this.layers, path);
  }
}

/** A path the router cannot decode (a malformed %-escape) matches nothing here; the router answers it. */
function matches(layer: RouteLayer, path: string): boolean {
  try {
    return layer.match(path);
  } catch {
    return false;
  }
}

function allowedMethods(layers: RouteLayer[], path: string): string[] {
  const methods = new Set<string>();
  for (const layer of layers) {
    if (!layer.route || !matches(layer, path)) continue;
    for (const [method, served] of Object.entries(layer.route.methods)) if (served && method !== '_all') methods.add(method.toUpperCase());
  }
  if (methods.size === 0) return [];
  if (methods.has('GET')) methods.add('HEAD');
  methods.add('OPTIONS');
  return [...methods].sort();
}

/**
 * A path that exists with another method answers 405 with `Allow` (contract: Conventions), not
 * 404. OPTIONS that is not an allowed CORS preflight (cors.ts answers those) gets 204 with `Allow`.
 */
export function methodNotAllowed(routes: RouteTable): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const allow = routes.allowed(req.path);
    if (allow.length === 0 || allow.includes(req.method)) {
      if (req.method === 'OPTIONS' && allow.length > 0) {
        res.set('Allow', allow.join(', ')).status(204).end();
        return;
      }
      next();
      return;
    }
    next(new AppError('method_not_allowed', 'HTTP_METHOD_NOT_ALLOWED', `Method ${req.method} is not allowed on this path`, { allow }));
  };
}
