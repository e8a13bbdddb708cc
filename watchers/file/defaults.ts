/**
 * @module watchers/file/defaults
 * The folder source's defaults, in a file that imports nothing, so the CLI can print them in
 * `--help` without loading the source (rxjs, the parse worker pool).
 */

/** Default of `maxFileBytes` (`--max-file-bytes`). */
export const DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024;
