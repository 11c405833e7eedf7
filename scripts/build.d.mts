/** Whether `outDir` (default `dist/`) holds a build of the sources as they are now. */
export function isBuilt(outDir?: string): boolean;
/** Builds src/ into `outDir` (default `dist/`); false when TypeScript is not installed. */
export function build(outDir?: string): boolean;
