import { promises as fs } from 'node:fs';

/**
 * Writes a small but well-formed GGUF v3 file (header, typed metadata, an array, no tensors)
 * followed by `padding` bytes standing in for weights, as llama.cpp's convert_lora_to_gguf.py
 * lays out an adapter's header. Real adapters cannot be produced on these machines.
 */
export async function writeGguf(file: string, metadata: Record<string, string | number>, padding = 4096): Promise<void> {
  const parts: Buffer[] = [];
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    parts.push(b);
  };
  const u64 = (v: number) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    parts.push(b);
  };
  const str = (s: string) => {
    const bytes = Buffer.from(s, 'utf8');
    u64(bytes.length);
    parts.push(bytes);
  };
  parts.push(Buffer.from('GGUF'));
  u32(3);
  u64(0);
  const entries = Object.entries(metadata);
  u64(entries.length + 1);
  for (const [key, value] of entries) {
    str(key);
    if (typeof value === 'string') {
      u32(8);
      str(value);
    } else {
      u32(6);
      const b = Buffer.alloc(4);
      b.writeFloatLE(value);
      parts.push(b);
    }
  }
  // An array value, which a reader must step over.
  str('general.tags');
  u32(9);
  u32(8);
  u64(2);
  str('lora');
  str('text-to-sql');
  parts.push(Buffer.alloc(padding, 7));
  await fs.writeFile(file, Buffer.concat(parts));
}
