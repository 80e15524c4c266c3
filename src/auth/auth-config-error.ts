/** A mode/settings combination that cannot work; start-up stops with this one line. */
export class AuthConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuthConfigError";
  }
}
