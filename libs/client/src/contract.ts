/**
 * Compile-time check of the client's types against the OpenAPI document: openapi.generated.ts is
 * generated from docs/openapi.json (`npm run client:openapi-types`; test/e2e/client.e2e.spec.ts
 * fails when it is stale), and `npm run typecheck` fails here when a request or response type of
 * types.ts no longer matches the document in either direction.
 */
import type { paths } from './openapi.generated';
import type * as T from './types';

type Method = 'get' | 'post' | 'put' | 'delete' | 'patch';
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
type Ok<P extends keyof paths, M extends Method> = Operation<P, M> extends { responses: { 200: { content: infer C } } } ? C[keyof C] : never;
type DataOf<P extends keyof paths, M extends Method> = Ok<P, M> extends { data: infer D } ? D : never;
type BodyOf<P extends keyof paths, M extends Method> = Operation<P, M> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
type QueryOf<P extends keyof paths, M extends Method> = Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;
/** Each assignable to the other. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Check<T extends true> = T;

export type ContractChecks = [
  Check<Same<T.MfaStatus, DataOf<'/mfa/status', 'get'>>>,
  Check<Same<T.MfaMethodInfo[], DataOf<'/mfa/methods', 'get'>>>,
  Check<Same<T.SetupRequest, BodyOf<'/mfa/setup', 'post'>>>,
  Check<Same<T.SetupResults[T.MfaMethod], DataOf<'/mfa/setup', 'post'>>>,
  Check<Same<T.VerifySetupRequest, BodyOf<'/mfa/verify-setup', 'post'>>>,
  Check<Same<{ mfaType: T.MfaMethod }, BodyOf<'/mfa/enable', 'post'>>>,
  Check<Same<T.VerifyLoginRequest, BodyOf<'/mfa/verify-login', 'post'>>>,
  Check<Same<T.VerifyLoginResult, DataOf<'/mfa/verify-login', 'post'>>>,
  Check<Same<T.PasskeyAuthOptions, DataOf<'/mfa/passkey/auth-options', 'post'>>>,
  Check<Same<T.CompletePasskeyRegistrationRequest, BodyOf<'/mfa/passkey/complete-registration', 'post'>>>,
  Check<Same<{ backupCodes: string[] }, DataOf<'/mfa/backup-codes/regenerate', 'post'>>>,
  Check<Same<T.EnforceOrgMfaRequest, BodyOf<'/mfa/organization/enforce', 'post'>>>,
  Check<Same<T.OrgPolicy, DataOf<'/mfa/organization', 'get'>>>,
  Check<Same<T.MemberPage, DataOf<'/mfa/organization/members', 'get'>>>,
  Check<Same<T.ListMembersQuery, QueryOf<'/mfa/organization/members', 'get'>>>,
  Check<Same<T.GrantExemptionRequest, BodyOf<'/mfa/organization/exemptions/{userId}', 'put'>>>,
  Check<Same<T.Authenticator[], DataOf<'/mfa/authenticators', 'get'>>>,
  Check<Same<T.Authenticator[], DataOf<'/mfa/organization/members/{userId}/authenticators', 'get'>>>,
  Check<Same<{ name: string }, BodyOf<'/mfa/authenticators/{id}', 'patch'>>>,
  Check<Same<T.TrustedDevice[], DataOf<'/mfa/trusted-devices', 'get'>>>,
  Check<Same<T.Jwks, Ok<'/.well-known/jwks.json', 'get'>>>,
  Check<Same<T.Readiness, Ok<'/health/ready', 'get'>>>,
];
