import { CanActivate, createParamDecorator, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Unauthorized } from '@mfa/common';
import type { Request } from 'express';
import { Principal } from './principal';
import { TokenVerifier } from './token-verifier';

const PUBLIC_KEY = 'mfa:public';
const PRINCIPAL = Symbol('principal');

/** Marks a route that needs no bearer token (health, metrics, docs, magic-link activation). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_KEY, true);

/** Global guard: every route needs a valid bearer token unless marked @Public(). */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(TokenVerifier) private readonly verifier: TokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const req = context.switchToHttp().getRequest<Request & { [PRINCIPAL]?: Principal }>();
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([^\s]+)$/i.exec(header) : null;
    if (!match) throw Unauthorized();
    req[PRINCIPAL] = await this.verifier.verify(match[1]);
    return true;
  }
}

/** The verified caller of a request, if the guard authenticated one. */
export function principalOf(req: Request): Principal | undefined {
  return (req as Request & { [PRINCIPAL]?: Principal })[PRINCIPAL];
}

/** The verified caller of the current request. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = principalOf(context.switchToHttp().getRequest<Request>());
  if (!principal) throw Unauthorized();
  return principal;
});
