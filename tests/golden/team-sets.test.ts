import path from 'node:path';
import { describeGoldenCorpus } from '../helpers/golden';

/**
 * Four sets of customer mail written by the team, independently of the shared eval corpus and
 * labelled from the procedure before the program ran on them; they guard the rules' generality
 * (a rule tuned to the shared cases shows up here). Same format and scoring as ../shared/eval.
 */
const GOLDEN = path.resolve(__dirname, '../fixtures/golden');

describeGoldenCorpus('team set A', path.join(GOLDEN, 'team-set-a'));
describeGoldenCorpus('team set B', path.join(GOLDEN, 'team-set-b'));
describeGoldenCorpus('team set C', path.join(GOLDEN, 'team-set-c'));
describeGoldenCorpus('team set D', path.join(GOLDEN, 'team-set-d'));
