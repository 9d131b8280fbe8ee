// A Backstage backend with no plugins at all: the memory benchmark's
// baseline of what the framework and Node take before Backpack adds
// anything. Plain JavaScript so that it can also run without the TypeScript
// transform:
//
//   node bench/bareBackend.js --config <app-config.yaml>

const { createBackend } = require('@backstage/backend-defaults');

createBackend().start();
