/**
 * User-facing errors: the kernel and the runner print only the message (one line naming the fix), no stack.
 * Rooms subclass `UserError` for their own kinds (MagicError here; lib/stream's AnalysisError may too).
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserError";
  }
}

/** A mistake in a magic line or its options. */
export class MagicError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = "MagicError";
  }
}

/** A text helper's message wrapped in the caller's own error class. */
export type ErrorFactory = (message: string) => Error;

/** The message of anything thrown: an Error's message, a string as is, anything else as text. */
export function errorMessage(err: unknown): string {
  const message = (err as { message?: unknown } | null | undefined)?.message;
  if (typeof message === "string") return message;
  switch (typeof err) {
    case "string":
      return err;
    case "number":
    case "boolean":
    case "bigint":
    case "symbol":
      return err.toString();
    case "undefined":
      return "undefined";
    case "function":
      return `function ${err.name}`;
    default:
      try {
        return JSON.stringify(err);
      } catch {
        return Object.prototype.toString.call(err);
      }
  }
}
