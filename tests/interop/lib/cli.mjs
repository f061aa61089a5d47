// Command-line plumbing shared by the entry scripts: argument parsing, file reading, the JSON report
// on stdout and the exit code contract (0 pass, 1 fail, 2 usage).
import fs from 'node:fs';
import { parseArgs } from 'node:util';

/** Prints `usage` on stderr and exits 2. */
export function usageExit(usage, why) {
  if (why) console.error(`error: ${why}`);
  console.error(`usage: ${usage}`);
  process.exit(2);
}

/**
 * parseArgs with at least one positional file; any parse problem, a `check(values)` message, or an
 * unreadable file is a usage error.
 */
export function parseCli(usage, options, check = () => null) {
  let parsed;
  try {
    parsed = parseArgs({ options, allowPositionals: true, strict: true });
  } catch (e) {
    usageExit(usage, e.message);
  }
  const { values, positionals } = parsed;
  const problem = check(values);
  if (problem) usageExit(usage, problem);
  if (positionals.length === 0) usageExit(usage, 'no files given');
  const files = positionals.map((file) => {
    try {
      return { file, text: fs.readFileSync(file, 'utf8').trim() };
    } catch (e) {
      return usageExit(usage, `cannot read ${file}: ${e.code ?? e.message}`);
    }
  });
  return { values, files };
}

/** Writes the report and exits with 0 when `pass`, else 1. */
export function finish(report) {
  process.stdout.write(`${JSON.stringify(report, null, 1)}\n`);
  process.exit(report.pass ? 0 : 1);
}

/** Message of an error, including the nested `errors` Digital Bazaar libraries attach. */
export function describe(err) {
  if (err == null) return 'unknown error';
  if (Array.isArray(err)) return err.map(describe).join('; ');
  if (Array.isArray(err.errors) && err.errors.length) return describe(err.errors);
  return String(err.message ?? err);
}
