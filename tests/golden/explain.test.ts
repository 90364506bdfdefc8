import path from 'node:path';
import { describeGoldenCorpus } from '../helpers/golden';

/**
 * The shared eval corpus (../shared/eval, never copied in), scored as score.mjs scores it;
 * score.mjs stays the external check. Skipped with a message when the corpus is absent.
 */
describeGoldenCorpus('shared eval corpus', path.resolve(__dirname, '../../../shared/eval'), { optional: true });
