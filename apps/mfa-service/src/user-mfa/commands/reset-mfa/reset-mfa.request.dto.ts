import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches, ValidateIf } from 'class-validator';

export class ResetMfaRequest {
  @ApiPropertyOptional({ description: "Another member's user id (OWNER/ADMINISTRATOR of the same organization only)" })
  @ValidateIf((_: object, value: unknown) => value !== undefined)
  @IsString()
  @Matches(/^[A-Za-z0-9._@|-]{1,128}$/, { message: 'resetUserId must be 1-128 characters of letters, digits and ._@|-' })
  resetUserId?: string;
}
