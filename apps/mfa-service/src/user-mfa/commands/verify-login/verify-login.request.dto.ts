import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsDefined, IsIn, IsObject, IsString, MaxLength, ValidateIf } from 'class-validator';
import { VERIFICATION_METHODS, type VerificationMethod } from '../../domain/mfa-method';

export { VERIFICATION_METHODS } from '../../domain/mfa-method';

const needs =
  (...types: VerificationMethod[]) =>
  (o: VerifyLoginRequest, value: unknown) =>
    value !== undefined || types.includes(o.mfaType);

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

  /** MAGIC_LINK: the token from a login link; TRUSTED_DEVICE: the deviceToken of a remembered device. */
  @ApiPropertyOptional({ maxLength: 256 })
  @ValidateIf(needs('MAGIC_LINK', 'TRUSTED_DEVICE'))
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

  /** Remember this device: when every organization of the user allows it (rememberDeviceDays > 0), the answer carries a deviceToken. */
  @ApiPropertyOptional({ type: Boolean, default: false })
  @ValidateIf((_: object, value: unknown) => value !== undefined)
  @IsBoolean()
  rememberDevice?: boolean;

  /** A name for the remembered device (1–64 printable characters, trimmed). */
  @ApiPropertyOptional({ maxLength: 64 })
  @ValidateIf((_: object, value: unknown) => value !== undefined)
  @IsString()
  @MaxLength(256)
  deviceName?: string;
}
