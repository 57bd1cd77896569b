import t from 'tap';
import { SCENARIOS } from './scenarios.js';
import { sweep } from './sweep.js';

// The set and hash workload (collection-clients.ts) through the cluster profile's faults: no acknowledged SADD or
// HINCRBY is lost, and no member appears that no SADD sent.
t.test('seeds 1..20 of the set and hash workload keep every invariant', (t) => sweep(t, 1, 20, SCENARIOS.sets));
