import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsString, MaxLength } from 'class-validator';

export class RenameAuthenticatorRequest {
  /** Trimmed, then 1–64 printable characters (checked by the domain: 400 VALIDATION_FAILED naming `name`). */
  @ApiProperty({ minLength: 1, maxLength: 64, example: 'Work laptop' })
  @IsDefined()
  @IsString()
  @MaxLength(256)
  name!: string;
}
