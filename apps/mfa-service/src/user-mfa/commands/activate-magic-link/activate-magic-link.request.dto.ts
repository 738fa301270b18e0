import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsString, MaxLength } from 'class-validator';

export class ActivateMagicLinkRequest {
  /** The token from the link (its format is checked by the handler: any bad token is "Invalid or expired token"). */
  @ApiProperty({ description: 'The token from the magic link', maxLength: 128 })
  @IsDefined()
  @IsString()
  @MaxLength(128)
  token!: string;
}
