/** A writable stand-in for process.stdout / stderr that keeps what is written (tests). */
export interface Captured {
  readonly stream: NodeJS.WriteStream;
  text(): string;
}

export function capture(isTTY = false): Captured {
  const chunks: string[] = [];
  const stream = {
    isTTY,
    columns: 120,
    write(chunk: string | Uint8Array): boolean {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { stream, text: () => chunks.join('') };
}
