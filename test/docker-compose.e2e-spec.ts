import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { validateEnvironment } from '../src/common/config/environment';

// docker-compose.yml cannot be run here (no Docker engine): its structure is checked instead.

const compose = parse(readFileSync(join(__dirname, '..', 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, any>;
};

describe('docker-compose.yml', () => {
  const gateways = Object.entries(compose.services).filter(([name]) => name.startsWith('gateway'));

  it('runs two gateway replicas, the mock upstream and Redis', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['gateway-1', 'gateway-2', 'mock-api', 'redis'].sort(),
    );
  });

  it('points every replica at the same Redis and the mock, with settings the app accepts', () => {
    for (const [, service] of gateways) {
      const env = service.environment as Record<string, string>;
      expect(() => validateEnvironment(env)).not.toThrow();
      const redis = new URL(env.REDIS_URL);
      expect(redis.hostname).toBe('redis');
      expect(new URL(env.EVENT_API_BASE_URL).hostname).toBe('mock-api');
      expect(env.EVENT_API_BASE_URL).toContain(
        compose.services['mock-api'].environment.MOCK_API_PORT,
      );
    }
    const urls = new Set(gateways.map(([, service]) => service.environment.REDIS_URL));
    expect(urls.size).toBe(1);
  });

  it('publishes each replica on its own host port, to the port it listens on', () => {
    const published = gateways.map(([, service]) => {
      const [host, container] = String(service.ports[0]).split(':');
      expect(container).toBe(service.environment.PORT);
      return host;
    });
    expect(new Set(published).size).toBe(gateways.length);
  });

  it('keeps Redis data on a volume with the append-only file on, and waits for it', () => {
    const redis = compose.services.redis;
    expect(redis.command.join(' ')).toMatch(/--appendonly yes/);
    expect(redis.volumes[0]).toMatch(/:\/data$/);
    for (const [, service] of gateways) {
      expect(service.depends_on.redis.condition).toBe('service_healthy');
    }
  });
});
