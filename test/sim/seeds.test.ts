import t from 'tap';
import { sweep } from './sweep.js';

// Seeds 1-150 (seeds-more.test.ts runs 151-300; the two files run in parallel).
t.test('seeds 1..150 keep every invariant', (t) => sweep(t, 1, 150));
