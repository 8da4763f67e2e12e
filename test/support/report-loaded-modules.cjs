// Preloaded into a server process by test/bundle.e2e-spec.ts: when the process exits, writes one
// line with the number of module files it loaded through require() (this file apart).
process.on('exit', () => {
  const files = Object.keys(require.cache).filter((file) => file !== __filename);
  process.stderr.write(`LOADED_MODULES ${files.length}\n`);
});
