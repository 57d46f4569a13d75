/**
 * The one display protocol of streamlab.
 *
 * Anything in lib/ that knows how to show itself (a streaming query, a DataFrame, a chart, a generator's
 * progress) implements `Displayable`. Whoever hosts the code (the Jupyter kernel, the headless runner, or a
 * plain Node program) installs a `DisplayBridge`; lib/ never talks to Jupyter directly. Live displays are a
 * `DisplayHandle`: created once with a display_id, then updated from background work at any time.
 */

/** A Jupyter mime bundle: mime type -> data. `text/plain` should always be present. */
export type MimeBundle = Record<string, unknown>;

export interface Displayable {
  /** The current rendering of this value, as a Jupyter mime bundle. */
  toMimeBundle(): MimeBundle;
}

export function isDisplayable(value: unknown): value is Displayable {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { toMimeBundle?: unknown }).toMimeBundle === "function"
  );
}

/** Implemented by the host: the kernel sends Jupyter messages, the runner records outputs, Node prints text. */
export interface DisplayBridge {
  /** Show a new output in the cell that is running (or, after it ended, the cell that created the work). */
  display(bundle: MimeBundle, displayId?: string, metadata?: Record<string, unknown>): void;
  /** Replace the content of every output that carries this display_id (update_display_data). */
  update(displayId: string, bundle: MimeBundle, metadata?: Record<string, unknown>): void;
  /** Plain text to the cell's stdout. */
  print(text: string): void;
}

/** Outside a kernel: print text/plain, so lib/ is usable from any Node program or test. */
export const consoleBridge: DisplayBridge = {
  display(bundle) {
    const text = bundle["text/plain"];
    if (text !== undefined) process.stdout.write((typeof text === "string" ? text : JSON.stringify(text)) + "\n");
  },
  update() {
    // A terminal cannot rewrite an earlier output; live displays only refresh inside a notebook.
  },
  print(text) {
    process.stdout.write(text.endsWith("\n") ? text : text + "\n");
  },
};

let bridge: DisplayBridge = consoleBridge;

export function setDisplayBridge(next: DisplayBridge): DisplayBridge {
  const previous = bridge;
  bridge = next;
  return previous;
}

export function getDisplayBridge(): DisplayBridge {
  return bridge;
}

let displayCounter = 0;

/** A unique display_id, stable for the life of the process. */
export function newDisplayId(prefix = "streamlab"): string {
  displayCounter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${displayCounter}`;
}

/**
 * A live output. `update()` may be called from any background task, any number of times; throttling and
 * coalescing belong to lib/render, which decides how often to call it.
 */
export class DisplayHandle {
  readonly displayId: string;
  private closed = false;
  /** The bridge captured at creation, so updates reach the host that created the display. */
  private readonly target: DisplayBridge;

  /** `metadata` (per mime type, e.g. vega-embed options) goes with the display and every update. */
  constructor(
    bundle: MimeBundle,
    displayId: string = newDisplayId(),
    target: DisplayBridge = getDisplayBridge(),
    private readonly metadata?: Record<string, unknown>,
  ) {
    this.displayId = displayId;
    this.target = target;
    this.target.display(bundle, displayId, metadata);
  }

  update(bundle: MimeBundle): void {
    if (this.closed) return;
    try {
      this.target.update(this.displayId, bundle, this.metadata);
    } catch (err) {
      // A display that cannot be updated (kernel shutting down, socket closed) must never break a query.
      this.closed = true;
      process.emitWarning(`streamlab: display ${this.displayId} stopped updating: ${(err as Error).message}`);
    }
  }

  /** After close(), updates are ignored: the output keeps its last state. */
  close(): void {
    this.closed = true;
  }
}

/** Show a value once (not live): a Displayable, a mime bundle, or anything printable. */
export function showOnce(value: unknown): void {
  if (isDisplayable(value)) bridge.display(value.toMimeBundle());
  else bridge.display({ "text/plain": typeof value === "string" ? value : JSON.stringify(value, null, 2) });
}
