import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsEmail, IsObject, IsString, MaxLength, ValidateIf, ValidateNested } from 'class-validator';
import { MFA_METHODS } from '../../domain/mfa-method';

/** Optional fields may be omitted but never null. */
const present = (_: object, value: unknown) => value !== undefined;

export class DeviceInfo {
  @ApiPropertyOptional({ maxLength: 100 })
  @ValidateIf(present)
  @IsString()
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({ maxLength: 50 })
  @ValidateIf(present)
  @IsString()
  @MaxLength(50)
  type?: string;
}

export class SetupMfaRequest {
  /** Checked by the controller so an unknown type answers the contract's "Invalid MFA type specified". */
  @ApiProperty({ enum: MFA_METHODS })
  @IsDefined()
  @IsString()
  @MaxLength(32)
  mfaType!: string;

  @ApiPropertyOptional({ description: 'MAGIC_LINK: address to send the link to (defaults to the token email)' })
  @ValidateIf(present)
  @IsEmail()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ type: DeviceInfo })
  @ValidateIf(present)
  @IsObject()
  @ValidateNested()
  @Type(() => DeviceInfo)
  deviceInfo?: DeviceInfo;
}
