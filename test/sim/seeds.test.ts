import t from 'tap';
import { sweep } from './sweep.js';

// Seeds 1-100; seeds-2 and seeds-3 run 101-300 (the files run in parallel, each well under a minute when loaded).
t.test('seeds 1..100 keep every invariant', (t) => sweep(t, 1, 100));
