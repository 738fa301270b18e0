import { Body, Injectable, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { ErrorDetail, validationFailed } from '../errors/app-error';

function flatten(errors: ValidationError[], parent = ''): ErrorDetail[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Unknown fields are rejected, types are never coerced, and every bad field gets one detail. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationFailed(flatten(errors)),
  });
}

/**
 * For endpoints that take no body: no body, or `{}`, passes; anything else is a 400 like an
 * unknown field anywhere else (a client sending fields here has misunderstood the endpoint).
 */
@Injectable()
class RejectBodyPipe implements PipeTransform {
  transform(value: unknown): undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'object' && !Array.isArray(value)) {
      const fields = Object.keys(value);
      if (fields.length === 0) return undefined;
      throw validationFailed(fields.map((field) => ({ field, message: `property ${field} should not exist` })));
    }
    throw validationFailed([{ field: '', message: 'this endpoint takes no request body' }]);
  }
}

/** Parameter decorator: the endpoint accepts no request body (see RejectBodyPipe). */
export const NoBody = (): ParameterDecorator => Body(RejectBodyPipe);
