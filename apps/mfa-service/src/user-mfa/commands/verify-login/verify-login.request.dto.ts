import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsIn, IsObject, IsString, MaxLength, ValidateIf } from 'class-validator';
import { MFA_METHODS } from '../../domain/mfa-method';
import type { VerificationMethod } from '../../domain/login-verification';

export const VERIFICATION_METHODS: readonly VerificationMethod[] = [...MFA_METHODS, 'BACKUP_CODE'];

const needs = (...types: VerificationMethod[]) => (o: VerifyLoginRequest, value: unknown) => value !== undefined || types.includes(o.mfaType);

/**
 * The factor to verify. Only type and size are checked here: a well-typed but wrong code is a
 * failed attempt (counted toward lockout), not a validation error.
 */
export class VerifyLoginRequest {
  @ApiProperty({ enum: VERIFICATION_METHODS })
  @IsDefined()
  @IsIn(VERIFICATION_METHODS)
  mfaType!: VerificationMethod;

  /** GOOGLE_AUTH: the 6-digit code; BACKUP_CODE: one of the backup codes. */
  @ApiPropertyOptional({ example: '123456', maxLength: 64 })
  @ValidateIf(needs('GOOGLE_AUTH', 'BACKUP_CODE'))
  @IsDefined()
  @IsString()
  @MaxLength(64)
  code?: string;

  /** MAGIC_LINK: the token from a login link. */
  @ApiPropertyOptional({ maxLength: 256 })
  @ValidateIf(needs('MAGIC_LINK'))
  @IsDefined()
  @IsString()
  @MaxLength(256)
  token?: string;

  /** PASSKEY: the WebAuthn authentication response for a challenge from /mfa/passkey/auth-options. */
  @ApiPropertyOptional({ type: Object })
  @ValidateIf(needs('PASSKEY'))
  @IsDefined()
  @IsObject()
  credential?: Record<string, unknown>;
}
