// `node --import ./tools/ts-loader.mjs file.ts`: registers tools/ts-hooks.mjs.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
