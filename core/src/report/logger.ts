/**
 * The stages log through this interface so that the same code writes GitHub workflow commands in
 * an action (groups, annotations, masks) and plain prefixed lines in the CLI.
 */
export interface AnnotationProperties {
  title?: string;
  file?: string;
  startLine?: number;
  startColumn?: number;
}

export interface Logger {
  info(message: string): void;
  debug(message: string): void;
  warning(message: string, props?: AnnotationProperties): void;
  error(message: string, props?: AnnotationProperties): void;
  /** Runs `fn` inside a collapsible group (`::group::` in Actions, an indented block in the CLI). */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
  /** Registers a credential so that no later log line prints it. */
  secret(value: string): void;
}

/** Replaces every registered secret in `text` with `***` (the runner's own mask marker). */
export function maskSecrets(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('***');
  return out;
}

/**
 * A Logger for terminals and tests. Lines go to `write` (stderr by default) with the stage name as
 * prefix; secrets registered with `secret()` are masked in every line.
 */
export function createConsoleLogger(options: { prefix?: string; write?: (line: string) => void; debug?: boolean } = {}): Logger {
  const secrets = new Set<string>();
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  let indent = '';
  const emit = (kind: string, message: string): void => {
    const prefix = options.prefix ? `[${options.prefix}] ` : '';
    for (const line of maskSecrets(message, secrets).split('\n')) write(`${indent}${prefix}${kind}${line}`);
  };
  return {
    info: (m) => emit('', m),
    debug: (m) => { if (options.debug) emit('debug: ', m); },
    warning: (m, p) => emit('warning: ', p?.file ? `${p.file}${p.startLine ? `:${p.startLine}` : ''}: ${m}` : m),
    error: (m, p) => emit('error: ', p?.file ? `${p.file}${p.startLine ? `:${p.startLine}` : ''}: ${m}` : m),
    async group(title, fn) {
      emit('▸ ', title);
      const outer = indent;
      indent = `${outer}  `;
      try { return await fn(); } finally { indent = outer; }
    },
    secret: (v) => { if (v) secrets.add(v); },
  };
}

/** A Logger that keeps every line in memory (tests assert on what a user would have read). */
export function createMemoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createConsoleLogger({ write: (l) => lines.push(l), debug: true });
  return Object.assign(logger, { lines });
}
