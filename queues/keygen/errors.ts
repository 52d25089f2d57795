/** The keygen's own failure, so queues/ never throws the API's HTTP errors; the create route maps it to 503. */
export class KeygenUnavailableError extends Error {
  constructor(message = 'Short code generator unavailable', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeygenUnavailableError';
  }
}
