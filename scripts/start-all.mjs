// `npm start`: runs the mock upstream and the gateway together, output prefixed, and stops both
// when either exits or on Ctrl-C / SIGTERM.
import { spawn } from 'node:child_process';

const gatewayPort = process.env.PORT || '3000';
const mockPort = process.env.MOCK_API_PORT || '3001';
const env = {
  ...process.env,
  MOCK_API_PORT: mockPort,
  EVENT_API_BASE_URL: process.env.EVENT_API_BASE_URL || `http://localhost:${mockPort}`,
  // Local runs: Ctrl-C stops at once (no load balancer to drain).
  SHUTDOWN_DRAIN_MS: process.env.SHUTDOWN_DRAIN_MS || '0',
};

const children = [
  { name: 'mock-api', args: ['mock-api/dist/main.js'] },
  { name: 'gateway ', args: ['dist/main.js'] },
].map(({ name, args }) => {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (stream, out) => {
    let buffered = '';
    stream.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop();
      for (const line of lines) out.write(`[${name}] ${line}\n`);
    });
  };
  prefix(child.stdout, process.stdout);
  prefix(child.stderr, process.stderr);
  return { name, child };
});

console.log(`Gateway:      http://localhost:${gatewayPort}`);
console.log(`Swagger UI:   http://localhost:${gatewayPort}/docs`);
console.log(`Mock upstream: http://localhost:${mockPort}`);

let stopping = false;
const stopAll = (code) => {
  if (stopping) return;
  stopping = true;
  process.exitCode = code;
  for (const { child } of children) if (child.exitCode === null) child.kill('SIGTERM');
};
for (const { name, child } of children) {
  child.on('exit', (code, signal) => {
    if (!stopping) console.error(`[${name}] exited (${signal ?? code}); stopping the others`);
    stopAll(code ?? 0);
  });
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));
