// The few WebAssembly globals the binding uses. @types/node 20 does not declare them and the DOM lib would
// bring in much more than a server should see.
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports: object);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
  }
}
