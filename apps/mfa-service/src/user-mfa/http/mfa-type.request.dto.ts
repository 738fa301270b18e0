import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsIn } from 'class-validator';
import { MFA_METHODS, MfaMethod } from '../domain/mfa-method';

/** `{mfaType}` for enable / disable / primary: one of the three methods (BACKUP_CODE is never a method). */
export class MfaTypeRequest {
  @ApiProperty({ enum: MFA_METHODS })
  @IsDefined()
  @IsIn(MFA_METHODS)
  mfaType!: MfaMethod;
}
