import { Controller, Get, Header, Inject, Query, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Public } from '@mfa/auth';
import { APP_CONFIG, AppConfig, OnInternalError } from '@mfa/common';
import type { Response } from 'express';
import { renderLandingPage } from './landing-page';
import { MagicLinkLandingQuery } from './magic-link-landing.query';

@ApiTags('magic-link')
@Controller('mfa/magic-link')
export class MagicLinkLandingController {
  constructor(
    private readonly queryBus: QueryBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('activate')
  @Public()
  @OnInternalError('Failed to show the magic link page')
  @Header('Cache-Control', 'no-store')
  @Header('Referrer-Policy', 'no-referrer')
  @Header('X-Content-Type-Options', 'nosniff')
  @ApiQuery({ name: 'token', required: false, description: 'The token from the emailed link' })
  @ApiOperation({ summary: 'The page a clicked magic link opens (HTML): never consumes the token; its one button POSTs it' })
  async landing(@Query('token') token: unknown, @Res() res: Response): Promise<void> {
    const purpose = await this.queryBus.execute(new MagicLinkLandingQuery(token));
    const page = renderLandingPage(typeof token === 'string' ? token : '', purpose, this.config.magicLink.loginUrl);
    res.status(200).set('Content-Security-Policy', page.csp).type('html').send(page.html);
  }
}
