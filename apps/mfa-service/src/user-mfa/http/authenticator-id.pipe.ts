import { Injectable, PipeTransform } from '@nestjs/common';
import { authenticatorNotFound } from '../domain/authenticators';
import { trustedDeviceNotFound } from '../factors/trusted-device/domain/trusted-devices';

/** Authenticator and device ids in paths: anything not shaped like one we issue is unknown (404, as an unknown id). */
const ID = /^[A-Za-z0-9_-]{1,64}$/;

@Injectable()
export class AuthenticatorIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!ID.test(value)) throw authenticatorNotFound();
    return value;
  }
}

@Injectable()
export class TrustedDeviceIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!ID.test(value)) throw trustedDeviceNotFound();
    return value;
  }
}
