/**
 * A prototype whose properties are made on first read: reading `name` on an object made from it
 * calls `make(object, name)` once and defines the result on the object as an ordinary
 * (writable, enumerable) property, which later reads find directly; an assignment defines it too.
 * The `Sys` of a process (libos/sys/mod.ts `createSys`, libos/signal/signals.ts `wrapSys`) uses
 * it: a process calls a few of its ~77 methods, and making them all cost every boot.
 */
export function lazyProto<T extends object>(
  names: Iterable<string>,
  make: (o: T, name: string) => unknown,
): object {
  const proto = {};
  for (const name of names) {
    const own = (o: object, value: unknown) =>
      Object.defineProperty(o, name, {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    Object.defineProperty(proto, name, {
      configurable: true,
      enumerable: true,
      get(this: T) {
        const v = make(this, name);
        own(this, v);
        return v;
      },
      set(this: T, v: unknown) {
        own(this, v);
      },
    });
  }
  return proto;
}
