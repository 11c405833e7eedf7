#!/usr/bin/env node
// The `warden` CLI: runs the TypeScript sources through tsx, so `npx warden …` works in a checkout.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
