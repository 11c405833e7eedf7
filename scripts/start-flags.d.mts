/** The Node flags `npm start` gives Warden, read from package.json's `start` script. */
export function startFlags(): string[];
