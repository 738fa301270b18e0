import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { OpenAPIObject, OperationObject, ResponseObject } from '@nestjs/swagger';
import { startTestApp, TestApp } from '../harness/test-app';
import { undeclaredRoutes } from '../../apps/mfa-service/src/http/openapi/openapi-document';

/**
 * The OpenAPI document is generated from the code; this snapshot makes every change to it a
 * reviewed diff. After changing routes or ROUTE_CONTRACTS, regenerate it with
 *   UPDATE_OPENAPI_SNAPSHOT=1 npx jest test/e2e/openapi.e2e.spec.ts
 */
const SNAPSHOT = path.resolve(__dirname, '../../docs/openapi.json');

describe('OpenAPI document (/docs-json)', () => {
  let t: TestApp;
  let document: OpenAPIObject;

  beforeAll(async () => {
    t = await startTestApp();
    const res = await t.http.get('/docs-json');
    expect(res.status).toBe(200);
    document = res.body as OpenAPIObject;
  });
  afterAll(async () => {
    await t?.close();
  });

  const operations = () =>
    Object.entries(document.paths).flatMap(([p, item]) =>
      (['get', 'put', 'post', 'delete', 'patch'] as const)
        .filter((m) => item[m])
        .map((m) => ({ key: `${m.toUpperCase()} ${p}`, op: item[m] as OperationObject })),
    );

  it('matches the committed snapshot docs/openapi.json (UPDATE_OPENAPI_SNAPSHOT=1 regenerates it)', () => {
    const current = `${JSON.stringify(document, null, 2)}\n`;
    if (process.env.UPDATE_OPENAPI_SNAPSHOT === '1') writeFileSync(SNAPSHOT, current);
    expect(current).toBe(readFileSync(SNAPSHOT, 'utf8'));
  });

  it('declares every route in ROUTE_CONTRACTS, and every operation lists its success and error answers with their codes', () => {
    expect(undeclaredRoutes(document)).toEqual([]);
    expect(operations().length).toBeGreaterThanOrEqual(24);
    for (const { key, op } of operations()) {
      const statuses = Object.keys(op.responses);
      expect({ key, has200: statuses.includes('200') }).toEqual({ key, has200: true });
      expect({ key, errors: statuses.some((s) => Number(s) >= 400) }).toEqual({ key, errors: true });
      const ok = op.responses['200'] as ResponseObject;
      expect({ key, schema: Object.values(ok.content ?? {})[0]?.schema !== undefined }).toEqual({ key, schema: true });
      if (op.security?.some((s) => 'bearer' in s)) expect({ key, s401: statuses.includes('401') }).toEqual({ key, s401: true });
    }
  });

  it('request schemas are as strict as the validation: closed objects, mfaType-discriminated bodies, integer limit, userId pattern', () => {
    const schemas = document.components!.schemas as Record<string, Record<string, unknown>>;
    for (const name of [
      'MfaTypeRequest',
      'SetupMfaRequest',
      'GrantExemptionRequest',
      'ResetMfaRequest',
      'ActivateMagicLinkRequest',
      'VerifyLoginCodeRequest',
    ]) {
      expect({ name, additionalProperties: schemas[name].additionalProperties }).toEqual({ name, additionalProperties: false });
    }
    expect(schemas.VerifyTotpSetupRequest.required).toEqual(['mfaType', 'code']);
    expect(schemas.VerifyLoginPasskeyRequest.required).toEqual(['mfaType', 'credential']);
    expect((schemas.VerifyLoginRequest.discriminator as { propertyName: string }).propertyName).toBe('mfaType');
    const [enforcing, lifting] = schemas.EnforceOrgMfaRequest.oneOf as Array<{ properties: Record<string, unknown>; additionalProperties: boolean }>;
    expect(enforcing.properties.allowedMethods).toMatchObject({ uniqueItems: true, minItems: 1 });
    expect(Object.keys(lifting.properties)).toEqual(['enforced']);
    const members = document.paths['/mfa/organization/members'].get!;
    expect(members.parameters).toContainEqual(expect.objectContaining({ name: 'limit', schema: expect.objectContaining({ type: 'integer' }) }));
    const exemption = document.paths['/mfa/organization/exemptions/{userId}'].put!;
    expect(exemption.parameters).toContainEqual(
      expect.objectContaining({ name: 'userId', schema: expect.objectContaining({ pattern: '^[A-Za-z0-9._@|-]{1,128}$' }) }),
    );
    const verifyLogin = document.paths['/mfa/verify-login'].post!;
    expect(JSON.stringify(verifyLogin.responses['423'])).toContain('LOCKED_OUT');
  });

  it('issue 14: the TRUSTED_DEVICE variant, rememberDevice, rememberDeviceDays only when enforcing, the rename body, id parameters, member-authority codes', () => {
    const schemas = document.components!.schemas as Record<string, Record<string, unknown>>;
    expect(schemas.RenameAuthenticatorRequest).toMatchObject({ required: ['name'], additionalProperties: false });
    expect(schemas.VerifyLoginTrustedDeviceRequest).toMatchObject({
      required: ['mfaType', 'token'],
      additionalProperties: false,
      properties: { token: { pattern: '^[A-Za-z0-9_-]{43}$' } },
    });
    expect((schemas.VerifyLoginRequest.discriminator as { mapping: Record<string, string> }).mapping.TRUSTED_DEVICE).toBe(
      '#/components/schemas/VerifyLoginTrustedDeviceRequest',
    );
    expect(Object.keys((schemas.VerifyLoginCodeRequest.properties as object) ?? {})).toEqual(expect.arrayContaining(['rememberDevice', 'deviceName']));
    const [enforcing, lifting] = schemas.EnforceOrgMfaRequest.oneOf as Array<{ properties: Record<string, unknown> }>;
    expect(enforcing.properties.rememberDeviceDays).toMatchObject({ type: 'integer', minimum: 0, maximum: 90 });
    expect(lifting.properties.rememberDeviceDays).toBeUndefined();
    const codesOf = (path: string, method: 'get' | 'patch' | 'delete', status: string) => {
      const schema = (
        (document.paths[path][method]!.responses[status] as ResponseObject).content!['application/json'].schema as {
          allOf: Array<{ properties?: { code?: { enum: string[] } } }>;
        }
      ).allOf;
      return schema[1].properties!.code!.enum;
    };
    expect(codesOf('/mfa/authenticators/{id}', 'patch', '404')).toEqual(['AUTHENTICATOR_NOT_FOUND']);
    expect(codesOf('/mfa/authenticators/{id}', 'delete', '403')).toEqual(['MFA_ENFORCED_BY_ORG', 'STEP_UP_REQUIRED']);
    expect(codesOf('/mfa/trusted-devices/{id}', 'delete', '404')).toEqual(['TRUSTED_DEVICE_NOT_FOUND']);
    const member = '/mfa/organization/members/{userId}/authenticators/{id}';
    expect(codesOf(member, 'delete', '403')).toEqual(['ADMIN_MFA_REQUIRED', 'FORBIDDEN', 'MFA_ENFORCED_BY_ORG', 'STEP_UP_REQUIRED', 'USER_MANAGED_ELSEWHERE']);
    expect(codesOf(member, 'delete', '404')).toEqual(['AUTHENTICATOR_NOT_FOUND', 'USER_NOT_FOUND']);
    expect(codesOf(member, 'delete', '400')).not.toContain('NO_ORGANIZATION');
    expect(document.paths[member].delete!.parameters).toContainEqual(
      expect.objectContaining({ name: 'id', schema: expect.objectContaining({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) }),
    );
  });
});
