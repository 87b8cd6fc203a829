/**
 * Just enough of the GGUF format (llama.cpp's gguf.md: magic, version, counts, then typed
 * key/value metadata) to tell what an adapter file is before hundreds of MB are uploaded: that it
 * is GGUF at all, that it is a LoRA adapter and not a whole model, and which architecture it was
 * trained for. Arrays are skipped, not kept.
 */
export interface GgufInfo {
  version: number;
  tensors: number;
  metadata: Map<string, string | number | boolean>;
}

export class GgufError extends Error {}

const TYPE_SIZES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/** Parses the header of a GGUF file from its first bytes; throws GgufError when it is not one or is cut short. */
export function readGgufHeader(bytes: Uint8Array): GgufInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const need = (n: number) => {
    if (at + n > bytes.byteLength) throw new GgufError(`the GGUF header is longer than the ${bytes.byteLength} bytes read`);
  };
  const u32 = () => {
    need(4);
    const v = view.getUint32(at, true);
    at += 4;
    return v;
  };
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(at, true);
    at += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new GgufError('a GGUF count is implausibly large');
    return Number(v);
  };
  const str = () => {
    const n = u64();
    need(n);
    const s = new TextDecoder().decode(bytes.subarray(at, at + n));
    at += n;
    return s;
  };
  const scalar = (type: number): string | number | boolean => {
    if (type === 8) return str();
    const size = TYPE_SIZES[type];
    if (size === undefined) throw new GgufError(`unknown GGUF value type ${type}`);
    need(size);
    const v = type === 0 ? view.getUint8(at) : type === 1 ? view.getInt8(at) : type === 2 ? view.getUint16(at, true) : type === 3 ? view.getInt16(at, true)
      : type === 4 ? view.getUint32(at, true) : type === 5 ? view.getInt32(at, true) : type === 6 ? view.getFloat32(at, true) : type === 7 ? view.getUint8(at) !== 0
        : type === 10 ? Number(view.getBigUint64(at, true)) : type === 11 ? Number(view.getBigInt64(at, true)) : view.getFloat64(at, true);
    at += size;
    return v;
  };

  if (bytes.byteLength < 4 || new TextDecoder().decode(bytes.subarray(0, 4)) !== 'GGUF') throw new GgufError('not a GGUF file (it does not start with "GGUF")');
  at = 4;
  const version = u32();
  if (version < 2 || version > 3) throw new GgufError(`GGUF version ${version} is not one this reader knows (2 or 3)`);
  const tensors = u64();
  const count = u64();
  const metadata = new Map<string, string | number | boolean>();
  for (let i = 0; i < count; i++) {
    const key = str();
    const type = u32();
    if (type === 9) {
      const elementType = u32();
      const n = u64();
      for (let j = 0; j < n; j++) scalar(elementType);
      continue;
    }
    metadata.set(key, scalar(type));
  }
  return { version, tensors, metadata };
}

/** What an adapter file says about itself. */
export function adapterFacts(info: GgufInfo): { isAdapter: boolean; architecture?: string; adapterType?: string } {
  const type = info.metadata.get('general.type');
  const architecture = info.metadata.get('general.architecture');
  const adapterType = info.metadata.get('adapter.type');
  return {
    isAdapter: type === 'adapter' || typeof adapterType === 'string',
    ...(typeof architecture === 'string' ? { architecture } : {}),
    ...(typeof adapterType === 'string' ? { adapterType } : {}),
  };
}
