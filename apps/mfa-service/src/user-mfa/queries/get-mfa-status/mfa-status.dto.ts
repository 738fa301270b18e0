import { ApiProperty } from '@nestjs/swagger';
import { MFA_METHODS } from '../../domain/mfa-method';

class MfaStatusDataDto {
  @ApiProperty({ description: 'The user has at least one enabled method' }) isEnabled!: boolean;
  @ApiProperty({ description: 'A second factor is required at login (isEnabled || isEnforced)' }) isRequired!: boolean;
  @ApiProperty({ description: "The user's organization enforces MFA and the user is not exempt" }) isEnforced!: boolean;
  @ApiProperty({ enum: MFA_METHODS, isArray: true }) enabledMethods!: string[];
  @ApiProperty({ enum: MFA_METHODS, nullable: true }) primaryMethod!: string | null;
  @ApiProperty({ description: 'Enforced but no allowed method enabled yet' }) setupRequired!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) enforcementDeadline!: string | null;
  @ApiProperty() exempt!: boolean;
  @ApiProperty({ enum: ['organization', 'user'], nullable: true }) requiredBy!: string | null;
  @ApiProperty() backupCodesRemaining!: number;
}

export class MfaStatusDto {
  @ApiProperty({ example: true }) success!: boolean;
  @ApiProperty({ type: MfaStatusDataDto }) data!: MfaStatusDataDto;
}
