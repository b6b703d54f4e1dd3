import { migrate } from '../db/migrate.js';
import { openDatabaseFromEnv } from './runtime.js';

export async function migrateCommand(out: NodeJS.WritableStream): Promise<number> {
  const { db, config } = openDatabaseFromEnv();
  try {
    const result = migrate(db);
    out.write(
      result.applied.length === 0
        ? `${config.databasePath}: schema is current (version ${result.to})\n`
        : `${config.databasePath}: migrated from version ${result.from} to ${result.to} (${result.applied.join(', ')})\n`,
    );
    return 0;
  } finally {
    db.close();
  }
}
