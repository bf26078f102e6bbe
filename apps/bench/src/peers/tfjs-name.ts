/** Row names of the tfjs peers, without loading tfjs (a tfjs that fails to load still gets its rows). */
export type TfBackend = 'wasm' | 'cpu';

/** The tfjs version this package pins. */
export const TFJS_VERSION = '4.22.0';

export function tfjsPeerName(backend: TfBackend, version = TFJS_VERSION): string {
  return `tfjs-${backend} ${version}`;
}
