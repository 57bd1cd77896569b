import t from 'tap';
import { sweep } from './sweep.js';

// The CI sweep is split over seeds.test.ts, seeds-2 and seeds-3 (files run in parallel): 150 seeds with each
// node assembled as the server does (SWIM, hinted handoff with sloppy quorum, anti-entropy, range streaming
// with joins, leaves and removals) and 150 with the perfect failure detector alone.
t.test('seeds 51..100 of the cluster profile keep every invariant', (t) => sweep(t, 51, 50, { profile: 'cluster' }));
t.test('seeds 51..100 of the basic profile keep every invariant', (t) => sweep(t, 51, 50, { profile: 'basic' }));
