import { loadEnv } from '../config/index.js';
import { createTagger, loadTaxonomy, runTagCommand } from '../tagging/index.js';

/** `shiftwire tag`: a dry run of the tagger for operators tuning the taxonomy. No database needed. */
export async function tagCommand(args: string[]): Promise<number> {
  const config = loadEnv(process.env);
  const tagger = createTagger(loadTaxonomy(config.taxonomyFile));
  await runTagCommand({ tagger, args, stdin: process.stdin, stdout: process.stdout });
  return 0;
}
