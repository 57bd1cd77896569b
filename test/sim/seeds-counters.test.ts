import t from 'tap';
import { SCENARIOS } from './scenarios.js';
import { sweep } from './sweep.js';

// The counter workload (counter-clients.ts) through the cluster profile's faults: no acknowledged increment is lost.
t.test('seeds 1..20 of the counter workload keep every invariant', (t) => sweep(t, 1, 20, SCENARIOS.counters));
