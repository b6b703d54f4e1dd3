import { parseArgs } from 'node:util';
import { version } from './shared/version.js';
import { describeError, isAppError } from './shared/errors.js';

const HELP = `shiftwire ${version}: AI-industry news, tagged by company and theme

Usage: shiftwire <command> [options]

Commands:
  serve                 run the API and the scheduler (what \`npm start\` runs)
  ingest [--due] [--feed ID]...
                        fetch every enabled feed now (--due: only feeds whose next fetch time has
                        come; --feed: only these feeds), print one line per feed and a total, exit
  migrate               apply database migrations and exit
  tag [TEXT...]         dry-run the tagger: tag TEXT, or JSON lines {"title","summary"} from stdin
  retag                 re-tag every stored story whose tags came from another taxonomy
  digest run [--subscription ID] [--now ISO-8601]
                        build the digests that are due and deliver pending ones
  backup <file> [--force]
                        write a consistent copy of the database while serve keeps running
  prune [--dry-run] [--days N] [--batch-size N]
                        delete stories older than RETENTION_DAYS (or N days)
  feeds import <file.opml> [--dry-run]
                        add the feeds of an OPML file (feeds.yaml stays authoritative for its ids)
  feeds export [--output FILE]
                        write every feed as OPML 2.0

Options:
  -h, --help            show this help (also: shiftwire <command> --help)
  -v, --version         print the version

Configuration comes from environment variables (DATABASE_PATH, FEEDS_FILE, PORT, …); see README.md.
`;

type Command = (args: string[]) => Promise<number>;

/**
 * The commands that parse feeds start their parse workers before anything else, with the command's
 * default count (INGEST_WORKERS and INGEST_WRITER unset): each worker loads its modules while this thread
 * reads the configuration and the taxonomy. The feed processor adopts them; if start-up fails, they end
 * with the process.
 */
async function prestartParseWorkers(writesOnMainThread: boolean): Promise<void> {
  if ((process.env.INGEST_WORKERS ?? '').trim() !== '' || (process.env.INGEST_WRITER ?? '').trim() !== '') return;
  const { defaultWorkerCount, prestartWorkers } = await import('./ingest/processor.js');
  prestartWorkers(defaultWorkerCount(writesOnMainThread));
}

// Each command loads its modules only when it runs: `ingest` starts without the API, the digests or the
// feed generators (start-up time is part of every scheduled run).
const commands: Record<string, Command> = {
  serve: async () => {
    await prestartParseWorkers(false);
    return (await import('./commands/serve.js')).serveCommand();
  },
  migrate: async () => (await import('./commands/migrate.js')).migrateCommand(process.stdout),
  ingest: async (args) => {
    const { values } = parseArgs({ args, options: { due: { type: 'boolean', default: false }, feed: { type: 'string', multiple: true } }, strict: true });
    await prestartParseWorkers(true);
    return (await import('./commands/ingest.js')).ingestCommand({ due: values.due ?? false, feedIds: values.feed ?? [] }, process.stdout);
  },
  tag: async (args) => (await import('./commands/tag.js')).tagCommand(args),
  retag: async () => (await import('./commands/retag.js')).retagCommand(process.stdout),
  backup: async (args) => (await import('./commands/backup.js')).backupCommand(args, process.stdout),
  prune: async (args) => (await import('./commands/prune.js')).pruneCommand(args, process.stdout),
  feeds: async (args) => (await import('./commands/feeds.js')).feedsCommand(args, process.stdout),
  digest: async (args) => (await import('./commands/digest.js')).digestCommand(args),
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help' || rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(HELP);
    return name === undefined ? 1 : 0;
  }
  if (name === '-v' || name === '--version') {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`shiftwire: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  return command(rest);
}

// A reader that stops early (`shiftwire ingest | head -3`) closes the pipe: stop printing, finish the work.
// (A C program would die of SIGPIPE there; Node gets EPIPE instead, which must not end a run half-way.)
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

process.on('unhandledRejection', (reason) => {
  process.stderr.write(`shiftwire: fatal: unhandled rejection: ${describeError(reason)}\n`);
  process.exit(1);
});

main(process.argv.slice(2)).then(
  (code) => {
    // `serve` has closed everything it opened; exiting here also cuts idle keep-alive sockets short.
    if (process.argv[2] === 'serve') process.exit(code);
    process.exitCode = code;
  },
  (err: unknown) => {
    // Configuration and start-up errors: say what is wrong, in plain words, and stop.
    process.stderr.write(`shiftwire: ${isAppError(err) ? err.message : describeError(err)}\n`);
    if (!isAppError(err) && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  },
);
