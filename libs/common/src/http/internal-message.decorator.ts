import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

export const INTERNAL_MESSAGE_KEY = 'mfa:internalMessage';

/**
 * The contract gives each endpoint its own 500 message ("Failed to get MFA status").
 * Controllers declare it; a global guard (the first one: it runs before authentication, so
 * even a failure there gets the message) puts it on the request for the global filter. A guard
 * rather than an interceptor: Nest wraps each interceptor in rxjs and an AsyncResource per request.
 */
export const OnInternalError = (message: string): MethodDecorator => SetMetadata(INTERNAL_MESSAGE_KEY, message);

@Injectable()
export class InternalMessageGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const message = this.reflector.get<string | undefined>(INTERNAL_MESSAGE_KEY, context.getHandler());
    if (message) context.switchToHttp().getRequest()[INTERNAL_MESSAGE_KEY] = message;
    return true;
  }
}
