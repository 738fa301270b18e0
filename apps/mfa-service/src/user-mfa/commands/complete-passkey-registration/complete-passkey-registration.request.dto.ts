import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsObject, IsString, MaxLength } from 'class-validator';

export class CompletePasskeyRegistrationRequest {
  /** RegistrationResponseJSON from navigator.credentials.create(); its shape and size are checked by the handler. */
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'RegistrationResponseJSON (at most 16 KiB)' })
  @IsDefined()
  @IsObject()
  credential!: Record<string, unknown>;

  @ApiProperty({ description: 'The challenge from the creation options', maxLength: 128 })
  @IsDefined()
  @IsString()
  @MaxLength(128)
  challenge!: string;
}
