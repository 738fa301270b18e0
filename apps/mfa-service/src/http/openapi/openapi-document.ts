import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { OperationObject, ParameterObject, ResponseObject, SchemaObject } from '@nestjs/swagger';
import { ROUTE_CONTRACTS, RouteContract } from './route-contract';
import { AUTHENTICATOR_ID_PARAMETER_SCHEMA, ERROR_ENVELOPE, REQUEST_SCHEMAS, USER_ID_PARAMETER_SCHEMA } from './schemas';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 423 | 429 | 500 | 503;

const STATUS_TEXT: Record<ErrorStatus, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  423: 'Locked',
  429: 'Too many requests',
  500: 'Internal error (the endpoint’s documented message; never a stack or driver message)',
  503: 'Service unavailable (the database cannot be reached)',
};

const REQUEST_ID_HEADER = { $ref: '#/components/headers/X-Request-Id' };

/** The service's OpenAPI document: generated from the controllers, completed from ROUTE_CONTRACTS. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const generated = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('mfa-service')
      .setDescription(
        'Organization-enforced multi-factor authentication. Every response uses the envelope ' +
          '{success, data|message} or {success:false, error, code, details?}. Events: /docs/asyncapi.json. ' +
          'A path served with other methods answers 405 HTTP_METHOD_NOT_ALLOWED with Allow.',
      )
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .build(),
  );
  return completeDocument(generated);
}

/** Routes present in the document without a ROUTE_CONTRACTS entry (a new route must declare its answers). */
export function undeclaredRoutes(document: OpenAPIObject): string[] {
  return operations(document)
    .map(({ key }) => key)
    .filter((key) => !ROUTE_CONTRACTS[key]);
}

function operations(document: OpenAPIObject): Array<{ key: string; method: string; path: string; operation: OperationObject }> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter((method) => item[method]).map((method) => ({ key: `${method.toUpperCase()} ${path}`, method, path, operation: item[method]! })),
  );
}

export function completeDocument(document: OpenAPIObject): OpenAPIObject {
  const schemas = (document.components!.schemas ??= {});
  for (const [name, schema] of Object.entries(REQUEST_SCHEMAS)) schemas[name] = schema;
  schemas.ErrorEnvelope = ERROR_ENVELOPE;
  document.components!.headers = {
    'X-Request-Id': { description: 'The request id (the caller’s X-Request-Id when it is safe, else a new one)', required: true, schema: { type: 'string' } },
  };
  for (const [name, schema] of Object.entries(schemas)) {
    // Generated DTOs not declared above are still closed: the validation rejects unknown fields.
    if (!REQUEST_SCHEMAS[name] && 'properties' in schema && schema.additionalProperties === undefined) schema.additionalProperties = false;
  }
  for (const { key, method, operation } of operations(document)) {
    const contract = ROUTE_CONTRACTS[key];
    if (!contract) continue;
    const bearer = (operation.security ?? []).some((requirement) => 'bearer' in requirement);
    for (const parameter of (operation.parameters ?? []) as ParameterObject[]) tightenParameter(parameter);
    optionalBodyWhenNothingRequired(operation);
    operation.responses = {
      200: success(contract),
      ...errorResponses(errorsOf(key, method, bearer, contract)),
      ...(contract.unavailable
        ? {
            503: {
              description: 'Not ready',
              headers: { 'X-Request-Id': REQUEST_ID_HEADER },
              content: { 'application/json': { schema: contract.unavailable } },
            },
          }
        : {}),
    };
  }
  return document;
}

/** A body whose every field is optional may be left out (validated as `{}`). */
function optionalBodyWhenNothingRequired(operation: OperationObject): void {
  const body = operation.requestBody as { required?: boolean; content?: Record<string, { schema?: { $ref?: string } }> } | undefined;
  const ref = body?.content?.['application/json']?.schema?.$ref;
  const schema = ref ? REQUEST_SCHEMAS[ref.slice(ref.lastIndexOf('/') + 1)] : undefined;
  if (body && schema && Array.isArray(schema.required) && schema.required.length === 0) body.required = false;
}

function tightenParameter(parameter: ParameterObject): void {
  if (parameter.in === 'path' && parameter.name === 'userId') parameter.schema = USER_ID_PARAMETER_SCHEMA;
  if (parameter.in === 'path' && parameter.name === 'id') parameter.schema = AUTHENTICATOR_ID_PARAMETER_SCHEMA;
  if (parameter.in === 'query' && parameter.name === 'limit') parameter.schema = { type: 'integer', minimum: 1, maximum: 200, default: 50 };
  if (parameter.in === 'query' && parameter.name === 'cursor') parameter.schema = { type: 'string', minLength: 1, maxLength: 256 };
}

function success(contract: RouteContract): ResponseObject {
  return {
    description: 'OK',
    headers: { 'X-Request-Id': REQUEST_ID_HEADER },
    content: { [contract.contentType ?? 'application/json']: { schema: contract.success } },
  };
}

function errorsOf(key: string, method: string, bearer: boolean, contract: RouteContract): Map<ErrorStatus, Set<string>> {
  const errors = new Map<ErrorStatus, Set<string>>();
  const add = (status: ErrorStatus, ...codes: string[]) => {
    const set = errors.get(status) ?? new Set<string>();
    for (const code of codes) set.add(code);
    errors.set(status, set);
  };
  const path = key.slice(key.indexOf(' ') + 1);
  add(400, 'MALFORMED_JSON', 'BAD_REQUEST');
  add(413, 'PAYLOAD_TOO_LARGE');
  if (bearer) add(401, 'UNAUTHORIZED');
  if (method === 'post' || method === 'put' || method === 'patch') {
    add(400, 'VALIDATION_FAILED');
    add(415, 'UNSUPPORTED_MEDIA_TYPE');
  }
  if (path.startsWith('/mfa/organization')) {
    if (!contract.memberAuthority) add(400, 'NO_ORGANIZATION');
    add(403, 'FORBIDDEN');
  }
  if (method !== 'get' && bearer) add(409, 'CONCURRENT_MODIFICATION');
  if (!contract.noDatabase) {
    add(500, 'INTERNAL_ERROR');
    add(503, 'SERVICE_UNAVAILABLE');
  }
  for (const [status, codes] of Object.entries(contract.errors ?? {}) as Array<[string, string[]]>) add(Number(status) as ErrorStatus, ...codes);
  return errors;
}

function errorResponses(errors: Map<ErrorStatus, Set<string>>): Record<string, ResponseObject> {
  const responses: Record<string, ResponseObject> = {};
  for (const status of [...errors.keys()].sort()) {
    const codes = [...errors.get(status)!].sort();
    // A 500 may carry the code of the internal failure that caused it; every other code is listed.
    const code: SchemaObject = status === 500 ? { type: 'string' } : { type: 'string', enum: codes };
    responses[status] = {
      description: `${STATUS_TEXT[status]}: ${codes.join(', ')}`,
      headers: {
        'X-Request-Id': REQUEST_ID_HEADER,
        ...(status === 429 ? { 'Retry-After': { description: 'Seconds to wait', required: true, schema: { type: 'integer', minimum: 0 } } } : {}),
        ...(status === 423
          ? { 'Retry-After': { description: 'Seconds to wait (absent when only an admin reset unlocks)', schema: { type: 'integer', minimum: 0 } } }
          : {}),
      },
      content: { 'application/json': { schema: { allOf: [{ $ref: '#/components/schemas/ErrorEnvelope' }, { type: 'object', properties: { code } }] } } },
    };
  }
  return responses;
}
