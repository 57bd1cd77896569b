import t from 'tap';
import { sweep } from './sweep.js';

// Seeds 201-300 (see seeds.test.ts).
t.test('seeds 201..300 keep every invariant', (t) => sweep(t, 201, 100));
