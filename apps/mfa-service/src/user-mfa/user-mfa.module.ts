import { Module } from '@nestjs/common';
import { MembershipModule } from '../membership/membership.module';
import { OutboxModule } from '../outbox/outbox.module';
import { OrgPolicyReadCacheModule } from '../org-policy/infra/org-policy.read-cache';
import { ActivateMagicLinkHandler } from './commands/activate-magic-link/activate-magic-link.handler';
import { ActivateMagicLinkController } from './commands/activate-magic-link/activate-magic-link.http.controller';
import { CompletePasskeyRegistrationHandler } from './commands/complete-passkey-registration/complete-passkey-registration.handler';
import { CompletePasskeyRegistrationController } from './commands/complete-passkey-registration/complete-passkey-registration.http.controller';
import { DisableMfaMethodHandler } from './commands/disable-mfa-method/disable-mfa-method.handler';
import { DisableMfaMethodController } from './commands/disable-mfa-method/disable-mfa-method.http.controller';
import { EnableMfaMethodHandler } from './commands/enable-mfa-method/enable-mfa-method.handler';
import { EnableMfaMethodController } from './commands/enable-mfa-method/enable-mfa-method.http.controller';
import { PasskeyAuthOptionsHandler } from './commands/passkey-auth-options/passkey-auth-options.handler';
import { PasskeyAuthOptionsController } from './commands/passkey-auth-options/passkey-auth-options.http.controller';
import { ResetMfaHandler } from './commands/reset-mfa/reset-mfa.handler';
import { ResetMfaController } from './commands/reset-mfa/reset-mfa.http.controller';
import { SendMagicLinkHandler } from './commands/send-magic-link/send-magic-link.handler';
import { SendMagicLinkController } from './commands/send-magic-link/send-magic-link.http.controller';
import { SetPrimaryMfaMethodHandler } from './commands/set-primary-mfa-method/set-primary-mfa-method.handler';
import { SetPrimaryMfaMethodController } from './commands/set-primary-mfa-method/set-primary-mfa-method.http.controller';
import { SetupMfaHandler } from './commands/setup-mfa/setup-mfa.handler';
import { SetupMfaController } from './commands/setup-mfa/setup-mfa.http.controller';
import { VerifyMfaSetupHandler } from './commands/verify-mfa-setup/verify-mfa-setup.handler';
import { VerifyMfaSetupController } from './commands/verify-mfa-setup/verify-mfa-setup.http.controller';
import { RegenerateBackupCodesHandler } from './commands/regenerate-backup-codes/regenerate-backup-codes.handler';
import { RegenerateBackupCodesController } from './commands/regenerate-backup-codes/regenerate-backup-codes.http.controller';
import { VerifyLoginHandler } from './commands/verify-login/verify-login.handler';
import { VerifyLoginController } from './commands/verify-login/verify-login.http.controller';
import { GetJwksController } from './queries/get-jwks/get-jwks.http.controller';
import { MagicLinkLandingController } from './queries/magic-link-landing/magic-link-landing.http.controller';
import { MagicLinkLandingHandler } from './queries/magic-link-landing/magic-link-landing.handler';
import { ListAuthenticatorsController } from './queries/list-authenticators/list-authenticators.http.controller';
import { ListAuthenticatorsHandler } from './queries/list-authenticators/list-authenticators.handler';
import { RenameAuthenticatorController } from './commands/rename-authenticator/rename-authenticator.http.controller';
import { RenameAuthenticatorHandler } from './commands/rename-authenticator/rename-authenticator.handler';
import { RemoveAuthenticatorController } from './commands/remove-authenticator/remove-authenticator.http.controller';
import { RemoveAuthenticatorHandler } from './commands/remove-authenticator/remove-authenticator.handler';
import { ListTrustedDevicesController } from './queries/list-trusted-devices/list-trusted-devices.http.controller';
import { ListTrustedDevicesHandler } from './queries/list-trusted-devices/list-trusted-devices.handler';
import { RevokeTrustedDevicesController } from './commands/revoke-trusted-devices/revoke-trusted-devices.http.controller';
import { RevokeTrustedDevicesHandler } from './commands/revoke-trusted-devices/revoke-trusted-devices.handler';
import { MemberAuthority } from './infra/member-authority';
import { MfaTokenIssuer } from './infra/mfa-token.issuer';
import { StepUpPolicy } from './infra/step-up.policy';
import { FACTOR_PROVIDERS } from './infra/factor-providers';
import { OrgPolicyReader } from './infra/org-policy.reader';
import { RateLimiter } from './infra/rate-limiter';
import { UserMfaRepository } from './infra/user-mfa.repository';
import { ExpiredEntriesSweeper } from './infra/expired-entries.sweeper';
import { GetMfaMethodsController } from './queries/get-mfa-methods/get-mfa-methods.http.controller';
import { GetMfaMethodsHandler } from './queries/get-mfa-methods/get-mfa-methods.handler';
import { GetMfaStatusController } from './queries/get-mfa-status/get-mfa-status.http.controller';
import { GetMfaStatusHandler } from './queries/get-mfa-status/get-mfa-status.handler';

@Module({
  imports: [OutboxModule, MembershipModule, OrgPolicyReadCacheModule],
  controllers: [
    GetMfaStatusController,
    GetMfaMethodsController,
    SetupMfaController,
    VerifyMfaSetupController,
    EnableMfaMethodController,
    DisableMfaMethodController,
    SetPrimaryMfaMethodController,
    ResetMfaController,
    SendMagicLinkController,
    ActivateMagicLinkController,
    MagicLinkLandingController,
    CompletePasskeyRegistrationController,
    PasskeyAuthOptionsController,
    VerifyLoginController,
    RegenerateBackupCodesController,
    GetJwksController,
    ListAuthenticatorsController,
    RenameAuthenticatorController,
    RemoveAuthenticatorController,
    ListTrustedDevicesController,
    RevokeTrustedDevicesController,
  ],
  providers: [
    ...FACTOR_PROVIDERS,
    UserMfaRepository,
    ExpiredEntriesSweeper,
    OrgPolicyReader,
    RateLimiter,
    GetMfaStatusHandler,
    GetMfaMethodsHandler,
    SetupMfaHandler,
    VerifyMfaSetupHandler,
    EnableMfaMethodHandler,
    DisableMfaMethodHandler,
    SetPrimaryMfaMethodHandler,
    ResetMfaHandler,
    SendMagicLinkHandler,
    ActivateMagicLinkHandler,
    MagicLinkLandingHandler,
    CompletePasskeyRegistrationHandler,
    PasskeyAuthOptionsHandler,
    VerifyLoginHandler,
    RegenerateBackupCodesHandler,
    MfaTokenIssuer,
    StepUpPolicy,
    MemberAuthority,
    ListAuthenticatorsHandler,
    RenameAuthenticatorHandler,
    RemoveAuthenticatorHandler,
    ListTrustedDevicesHandler,
    RevokeTrustedDevicesHandler,
  ],
  exports: [StepUpPolicy, UserMfaRepository],
})
export class UserMfaModule {}
