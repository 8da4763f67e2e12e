import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { EnvironmentVariables, validateEnvironment } from '../src/common/config/environment';
import { createTestApp } from './support/test-app';

// The manifests are checked against the real app: every probe path must be a route that answers,
// every port must be the one the app listens on, and the ConfigMap must pass the app's validation.

const K8S_DIR = join(__dirname, '..', 'deploy', 'k8s');
const manifests: any[] = readdirSync(K8S_DIR)
  .filter((file) => file.endsWith('.yaml'))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(K8S_DIR, file), 'utf8')).map((doc) => doc.toJS()),
  )
  .filter(Boolean);

const find = (kind: string, name: string) => {
  const found = manifests.find((m) => m.kind === kind && m.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in deploy/k8s`);
  return found;
};

describe('Kubernetes manifests and Dockerfile', () => {
  let app: NestFastifyApplication;
  const config = find('ConfigMap', 'event-gateway-config').data as Record<string, string>;
  const gateway = find('Deployment', 'event-gateway').spec.template.spec;
  const container = gateway.containers[0];

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => app.close());

  it('parses every file, and the kustomization lists them all but the examples', () => {
    const kustomization = manifests.find((m) => m.kind === 'Kustomization');
    const files = readdirSync(K8S_DIR).filter(
      (file) =>
        file.endsWith('.yaml') && file !== 'kustomization.yaml' && !file.endsWith('.example.yaml'),
    );
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });

  describe('the admin token', () => {
    const secret = find('Secret', 'event-gateway-admin');
    const fromEnv = container.env.find((e: any) => e.name === 'ADMIN_TOKEN');

    it('is not in the ConfigMap', () => {
      expect(Object.keys(config)).not.toContain('ADMIN_TOKEN');
      expect(container.envFrom).toEqual([{ configMapRef: { name: 'event-gateway-config' } }]);
    });

    it('comes from the example Secret by secretKeyRef, optional, so pods start without it', () => {
      expect(fromEnv).toEqual({
        name: 'ADMIN_TOKEN',
        valueFrom: {
          secretKeyRef: { name: secret.metadata.name, key: 'ADMIN_TOKEN', optional: true },
        },
      });
      expect(Object.keys(secret.stringData)).toEqual(['ADMIN_TOKEN']);
    });

    it('is never applied from the example: not in the kustomization, and its placeholder is refused', () => {
      const kustomization = manifests.find((m) => m.kind === 'Kustomization');
      expect(kustomization.resources).not.toContain('admin-token.secret.example.yaml');
      expect(() => validateEnvironment({ ADMIN_TOKEN: secret.stringData.ADMIN_TOKEN })).toThrow(
        /ADMIN_TOKEN/,
      );
    });
  });

  it.each(['startupProbe', 'livenessProbe', 'readinessProbe'])(
    'points the %s at a route that answers 200',
    async (probe) => {
      const { path, port } = container[probe].httpGet;
      expect((await app.inject({ method: 'GET', url: path })).statusCode).toBe(200);
      const named = container.ports.find((p: any) => p.name === port);
      expect(named.containerPort).toBe(Number(config.PORT));
    },
  );

  it('uses /health for liveness and /ready for readiness', () => {
    expect(container.livenessProbe.httpGet.path).toBe('/health');
    expect(container.readinessProbe.httpGet.path).toBe('/ready');
  });

  it('routes the Service to the container port', () => {
    const service = find('Service', 'event-gateway');
    expect(service.spec.ports[0].targetPort).toBe(container.ports[0].name);
    expect(service.spec.selector).toEqual(
      find('Deployment', 'event-gateway').spec.selector.matchLabels,
    );
  });

  it('has a ConfigMap the app accepts, naming only variables it knows', () => {
    const known = Object.keys(new EnvironmentVariables());
    expect(Object.keys(config).filter((key) => !known.includes(key))).toEqual([]);
    expect(() => validateEnvironment(config)).not.toThrow();
  });

  it('gives the pod longer to terminate than the drain plus the in-flight timeout', () => {
    const shutdownMs = Number(config.SHUTDOWN_DRAIN_MS) + Number(config.SHUTDOWN_TIMEOUT_MS);
    expect(gateway.terminationGracePeriodSeconds * 1000).toBeGreaterThan(shutdownMs);
  });

  it('drains for longer than one failed readiness probe takes to notice', () => {
    const { periodSeconds, failureThreshold } = container.readinessProbe;
    expect(Number(config.SHUTDOWN_DRAIN_MS)).toBeGreaterThan(
      periodSeconds * failureThreshold * 1000,
    );
  });

  it('runs as non-root with a read-only filesystem and resource limits', () => {
    expect(gateway.securityContext.runAsNonRoot).toBe(true);
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
    });
    expect(container.resources.requests).toBeDefined();
    expect(container.resources.limits.memory).toBeDefined();
  });

  it("gives the read-only container one writable directory, /tmp, for Node's compile cache", () => {
    expect(container.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(gateway.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
  });

  it("sizes V8's heap to fit the pod's memory limit, the same in the image and the Deployment", () => {
    const nodeOptions = container.env.find((e: any) => e.name === 'NODE_OPTIONS').value as string;
    const flag = (name: string) => Number(new RegExp(`--${name}=(\\d+)`).exec(nodeOptions)?.[1]);
    const mebibytes = (quantity: string) => Number(/^(\d+)Mi$/.exec(quantity)?.[1]);
    const oldSpace = flag('max-old-space-size');
    const semiSpace = flag('max-semi-space-size');
    // Both set: without them V8 sizes the heap from the node's memory, not the pod's.
    expect(oldSpace).toBeGreaterThan(0);
    expect(semiSpace).toBeGreaterThan(0);
    // The heap at its largest (old space + the young generation's three semi-spaces) plus what
    // lives outside the heap (code, buffers, native: ~90 MiB measured) stays under the limit.
    const limit = mebibytes(container.resources.limits.memory);
    expect(oldSpace + 3 * semiSpace + 90).toBeLessThanOrEqual(limit);
    // The request covers the idle process (~137 MiB measured), so the scheduler places it honestly.
    expect(mebibytes(container.resources.requests.memory)).toBeGreaterThanOrEqual(137);
    const imageDefault = /^ENV NODE_OPTIONS="([^"]+)"$/m.exec(
      readFileSync(join(__dirname, '..', 'Dockerfile'), 'utf8'),
    )?.[1];
    expect(imageDefault).toBe(nodeOptions);
  });

  it('points the gateway at the mock Service on its port', () => {
    const mockService = find('Service', 'event-api-mock');
    const url = new URL(config.EVENT_API_BASE_URL);
    expect(url.hostname).toBe(mockService.metadata.name);
    expect(Number(url.port)).toBe(mockService.spec.ports[0].port);
    const mockContainer = find('Deployment', 'event-api-mock').spec.template.spec.containers[0];
    const mockPort = mockContainer.env.find((e: any) => e.name === 'MOCK_API_PORT').value;
    expect(Number(mockPort)).toBe(mockContainer.ports[0].containerPort);
  });

  it('gives the replicas one Redis with persistence, named in the ConfigMap', () => {
    const redisService = find('Service', 'event-gateway-redis');
    const url = new URL(config.REDIS_URL);
    expect(url.protocol).toBe('redis:');
    expect(url.hostname).toBe(redisService.metadata.name);
    expect(Number(url.port)).toBe(redisService.spec.ports[0].port);
    const redis = find('StatefulSet', 'event-gateway-redis');
    const args: string[] = redis.spec.template.spec.containers[0].args;
    expect(args.join(' ')).toMatch(/--appendonly yes/);
    expect(args.join(' ')).toMatch(/--maxmemory-policy noeviction/);
    const volume = redis.spec.volumeClaimTemplates[0];
    expect(redis.spec.template.spec.containers[0].volumeMounts).toEqual([
      { name: volume.metadata.name, mountPath: '/data' },
    ]);
  });

  it('has PDB and HPA aimed at the gateway', () => {
    expect(find('PodDisruptionBudget', 'event-gateway').spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'event-gateway',
    });
    expect(find('HorizontalPodAutoscaler', 'event-gateway').spec.scaleTargetRef.name).toBe(
      'event-gateway',
    );
  });

  it('has a Dockerfile whose HEALTHCHECK hits /health, running as non-root in production', async () => {
    const dockerfile = readFileSync(join(__dirname, '..', 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*\/health/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/NODE_ENV=production/);
    expect(dockerfile).toMatch(/CMD \["node", "dist\/bundle\/main\.js"\]/);
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });
});
