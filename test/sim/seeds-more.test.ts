import t from 'tap';
import { sweep } from './sweep.js';

// Seeds 151-300 (seeds.test.ts runs 1-150).
t.test('seeds 151..300 keep every invariant', (t) => sweep(t, 151, 150));
