/** A bundle that is missing, damaged, from a newer format or outside what this host supports. */
export class BundleError extends Error {
  constructor(message) {
    super(message);
    this.name = "BundleError";
  }
}

/** Input or options this host cannot use. */
export class InputError extends Error {
  constructor(message) {
    super(message);
    this.name = "InputError";
  }
}
