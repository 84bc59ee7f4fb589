#!/usr/bin/env node
// The `purse` bin. It runs the compiled CLI (dist/main.js) when that is at least as new as every
// source file: a start in well under a second. When the build is missing or older than the source
// (a fresh clone, a pulled change), it runs the source through tsx instead, which is slower, and
// says so on stderr; `npm run build` makes it fast again. No install script builds anything.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'dist', 'main.js');

/** The newest modification time (ms) of the compiled sources under `dir`, tests excluded. */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'test-support') newest = Math.max(newest, newestSource(full));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      newest = Math.max(newest, statSync(full).mtimeMs);
    }
  }
  return newest;
}

function builtTime() {
  try {
    return statSync(built).mtimeMs;
  } catch {
    return -1;
  }
}

if (builtTime() >= newestSource(path.join(root, 'src'))) {
  await import(pathToFileURL(built).href);
} else {
  process.stderr.write(
    'purse: the build is missing or older than src/; running from source (slower). `npm run build` for a fast start.\n',
  );
  const tsx = await import('tsx/esm/api').catch(() => {
    // Installed without devDependencies: only the build can run.
    process.stderr.write('purse: tsx is not installed; run `npm run build` first.\n');
    process.exit(1);
  });
  tsx.register();
  await import(pathToFileURL(path.join(root, 'src', 'main.ts')).href);
}
