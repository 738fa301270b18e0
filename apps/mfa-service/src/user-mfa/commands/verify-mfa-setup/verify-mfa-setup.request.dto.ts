import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsIn, IsObject, IsString, Matches, ValidateIf } from 'class-validator';
import { MFA_METHODS, MfaMethod } from '../../domain/mfa-method';

export class VerifyMfaSetupRequest {
  @ApiProperty({ enum: MFA_METHODS })
  @IsDefined()
  @IsIn(MFA_METHODS)
  mfaType!: MfaMethod;

  /** GOOGLE_AUTH: the 6-digit code from the authenticator app (required for it, a string, digits only). */
  @ApiPropertyOptional({ example: '123456', pattern: '^[0-9]{6}$' })
  @ValidateIf((o: VerifyMfaSetupRequest, value: unknown) => value !== undefined || o.mfaType === 'GOOGLE_AUTH')
  @IsDefined()
  @IsString()
  @Matches(/^[0-9]{6}$/, { message: 'code must be exactly 6 digits' })
  code?: string;

  /** PASSKEY: the WebAuthn registration response. */
  @ApiPropertyOptional({ type: Object })
  @ValidateIf((_: object, value: unknown) => value !== undefined)
  @IsObject()
  credential?: Record<string, unknown>;
}
