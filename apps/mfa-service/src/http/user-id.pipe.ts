import { Injectable, PipeTransform } from '@nestjs/common';
import { validationFailed } from '@mfa/common';

/** User ids in paths: the identity service's opaque ids, short and without separators that could confuse keys. */
const USER_ID = /^[A-Za-z0-9._@|-]{1,128}$/;

@Injectable()
export class UserIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!USER_ID.test(value)) {
      throw validationFailed([{ field: 'userId', message: 'userId must be 1-128 characters of letters, digits and ._@|-' }]);
    }
    return value;
  }
}
