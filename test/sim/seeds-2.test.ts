import t from 'tap';
import { sweep } from './sweep.js';

// Seeds 101-200 (see seeds.test.ts).
t.test('seeds 101..200 keep every invariant', (t) => sweep(t, 101, 100));
