import { CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Observable } from 'rxjs';

export const INTERNAL_MESSAGE_KEY = 'mfa:internalMessage';

/**
 * The contract gives each endpoint its own 500 message ("Failed to get MFA status").
 * Controllers declare it; the interceptor puts it on the request for the global filter.
 */
export const OnInternalError = (message: string): MethodDecorator => SetMetadata(INTERNAL_MESSAGE_KEY, message);

@Injectable()
export class InternalMessageInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const message = this.reflector.get<string | undefined>(INTERNAL_MESSAGE_KEY, context.getHandler());
    if (message) context.switchToHttp().getRequest()[INTERNAL_MESSAGE_KEY] = message;
    return next.handle();
  }
}
