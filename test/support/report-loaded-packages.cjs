// Preloaded into a server process by test/start-up-footprint.e2e-spec.ts: when the process exits,
// writes one line naming every npm package it loaded through require().
process.on('exit', () => {
  const packages = new Set();
  for (const file of Object.keys(require.cache)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
    if (match) packages.add(match[1]);
  }
  process.stderr.write(`LOADED_PACKAGES ${[...packages].sort().join(',')}\n`);
});
