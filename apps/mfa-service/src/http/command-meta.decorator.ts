import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { principalOf } from '@mfa/auth';
import { requestIdOf, Unauthorized } from '@mfa/common';
import type { ActorType } from '@mfa/contracts';
import type { CommandMeta, RequestMeta } from '@mfa/persistence';
import type { Request } from 'express';
import { randomBytes } from 'node:crypto';

const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/** Continues the caller's W3C trace, or starts one, so events can be joined to the request. */
function traceparentOf(req: Request): string {
  const given = req.header('traceparent');
  if (given && TRACEPARENT.test(given)) return given;
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

/** The request's correlation (its request id) and trace. */
function requestMetaOf(req: Request): RequestMeta {
  const requestId = requestIdOf(req);
  return { correlationId: requestId, causationId: requestId, traceparent: traceparentOf(req) };
}

/**
 * Who is acting and which request caused it, copied onto every event the command produces.
 * The argument says how the actor is described on events (`admin` for org administration).
 */
export const CommandMetadata = createParamDecorator((actorType: ActorType, context: ExecutionContext): CommandMeta => {
  const req = context.switchToHttp().getRequest<Request>();
  const principal = principalOf(req);
  if (!principal) throw Unauthorized();
  return { ...requestMetaOf(req), actorId: principal.userId, actorType: actorType ?? 'user' };
});

/** The request's correlation and trace, for a public route whose actor is known only later. */
export const RequestMetadata = createParamDecorator(
  (_: unknown, context: ExecutionContext): RequestMeta => requestMetaOf(context.switchToHttp().getRequest<Request>()),
);
