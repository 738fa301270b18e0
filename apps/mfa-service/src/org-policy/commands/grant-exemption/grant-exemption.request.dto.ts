import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsISO8601, IsString, Length, Matches, ValidateIf } from 'class-validator';

export class GrantExemptionRequest {
  @ApiProperty({ minLength: 1, maxLength: 500, description: 'Why this member is exempt (shown in audit and events)' })
  @IsDefined()
  @IsString()
  @Length(1, 500)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason!: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'When the exemption ends (must be in the future); omit for none' })
  @ValidateIf((_, value) => value !== undefined)
  @IsISO8601({ strict: true, strictSeparator: true })
  expiresAt?: string;
}
