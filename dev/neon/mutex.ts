/** A FIFO lock: `run` calls queue up and execute one at a time, in arrival order. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    // the next caller waits for this one to settle, whether it succeeded or not
    this.tail = result.catch(() => undefined);
    return result;
  }
}
