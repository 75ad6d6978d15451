/**
 * SIGINT and SIGTERM end the process through exit (130, 143), so exit hooks run: the native
 * engine removes its run folders there (Node's default on a signal skips them). A command with
 * its own handling (the Redis worker's graceful stop) calls ownSignals first.
 */
let own = false;

export function ownSignals(): void {
  own = true;
}

export function exitOnSignals(): void {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(signal, () => {
      if (!own) process.exit(code);
    });
  }
}
