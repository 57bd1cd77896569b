// Module hooks that run the TypeScript tests and sources straight from .ts:
// esbuild strips the types file by file (no type check: `npm run typecheck`
// does that once), keeping every line where it was and an inline source map,
// so V8's coverage maps back to the .ts lines exactly. A relative `.js`
// import with no .js file beside it loads the .ts file of the same name, as
// TypeScript's NodeNext resolution does at compile time.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

const TS = /\.(?:c|m)?ts$/;

export async function resolve(specifier, context, next) {
  if ((specifier.startsWith('.') || specifier.startsWith('file:')) && specifier.endsWith('.js') && context.parentURL) {
    const url = new URL(specifier, context.parentURL);
    if (url.protocol === 'file:' && !existsSync(fileURLToPath(url))) {
      const ts = new URL(url.href.replace(/\.js$/, '.ts'));
      if (existsSync(fileURLToPath(ts))) return next(ts.href, context);
    }
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !TS.test(new URL(url).pathname)) return next(url, context);
  const path = fileURLToPath(url);
  const source = await readFile(path, 'utf8');
  const out = await transform(source, {
    loader: 'ts',
    format: 'esm',
    target: `node${process.versions.node}`,
    sourcemap: 'inline',
    sourcefile: path,
    sourcesContent: false,
  });
  return { format: 'module', source: out.code, shortCircuit: true };
}
