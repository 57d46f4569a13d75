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
