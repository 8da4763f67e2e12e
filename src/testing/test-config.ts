import { ConfigService } from '@nestjs/config';
import { loadConfig, type GatewayConfig } from '../common/config/gateway-config';

/** A typed ConfigService over `loadConfig(env)`, for unit tests that build services by hand. */
export function testConfig(env: Record<string, string> = {}): ConfigService<GatewayConfig, true> {
  return new ConfigService<GatewayConfig, true>(loadConfig(env));
}
