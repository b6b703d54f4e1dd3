import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * One logger for the process. JSON lines by default (what log shippers want); LOG_FORMAT=pretty for
 * people. Secrets are redacted wherever they might appear in a logged object.
 */
export function createLogger(options: { level: string; format: 'json' | 'pretty'; fd?: 1 | 2 }): Logger {
  const redact = {
    paths: [
      'req.headers.authorization',
      'headers.authorization',
      '*.adminToken',
      'adminToken',
      '*.secret',
      'secret',
      '*.token',
      'token',
      'smtpUrl',
      '*.smtpUrl',
    ],
    censor: '[redacted]',
  };
  if (options.format === 'pretty') {
    return pino({
      level: options.level,
      redact,
      transport: { target: 'pino-pretty', options: { destination: options.fd ?? 1, colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } },
    });
  }
  return pino({ level: options.level, redact }, pino.destination({ fd: options.fd ?? 1, sync: true }));
}

/** For tests and commands that want silence. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
