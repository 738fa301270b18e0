import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, ArrayUnique, IsArray, IsBoolean, IsDefined, IsIn, IsInt, Max, Min, ValidateIf } from 'class-validator';
import { MFA_METHODS, MfaMethod } from '../../../user-mfa/domain/mfa-method';
import { MAX_GRACE_PERIOD_DAYS, MAX_REMEMBER_DEVICE_DAYS } from '../../domain/org-policy';

/** Optional fields may be omitted but never null. */
const present = (_: object, value: unknown) => value !== undefined;

export class EnforceOrgMfaRequest {
  @ApiProperty({ description: 'Turn enforcement on or off' })
  @IsDefined()
  @IsBoolean()
  enforced!: boolean;

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_GRACE_PERIOD_DAYS, description: 'Days members have to set up MFA (default 0)' })
  @ValidateIf(present)
  @IsInt()
  @Min(0)
  @Max(MAX_GRACE_PERIOD_DAYS)
  gracePeriodDays?: number;

  @ApiPropertyOptional({ enum: MFA_METHODS, isArray: true, description: 'Methods that satisfy the policy (default: all)' })
  @ValidateIf(present)
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(MFA_METHODS.length)
  @ArrayUnique()
  @IsIn(MFA_METHODS, { each: true })
  allowedMethods?: MfaMethod[];

  @ApiPropertyOptional({
    minimum: 0,
    maximum: MAX_REMEMBER_DEVICE_DAYS,
    description: 'Days a member may skip the second factor on a remembered device (0 = off, the default; with several organizations the smallest applies)',
  })
  @ValidateIf(present)
  @IsInt()
  @Min(0)
  @Max(MAX_REMEMBER_DEVICE_DAYS)
  rememberDeviceDays?: number;
}
