/**
 * Bad input, found before any side effect. The message always names the input and the allowed
 * form, e.g. `Input "fail-on" must be one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN (got "CRIT")`.
 */
export class InputError extends Error {
  readonly input: string;
  constructor(input: string, problem: string) {
    super(`Input "${input}" ${problem}`);
    this.name = 'InputError';
    this.input = input;
  }
}

/** A gate that refused (findings over threshold, a signature that does not verify, ...). */
export class GateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GateError';
  }
}
