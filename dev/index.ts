import { createBackend } from '@backstage/backend-defaults';

// A minimal backend with only Backpack in it, on the embedded defaults of
// app-config.yaml: SQLite, the in-process queue, a local-directory store.
const backend = createBackend();
backend.add(import('../src'));
backend.start();
