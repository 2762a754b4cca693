// Prints the size of the release front-end bundle, raw and brotli-compressed (what a
// browser downloads), so changes that bloat the wasm are noticed. Used by `make size`.
import { readFileSync } from 'node:fs';
import { brotliCompressSync, constants } from 'node:zlib';

const files = process.argv.slice(2);
for (const file of files) {
  const raw = readFileSync(file);
  const br = brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
  const kib = (n) => `${(n / 1024).toFixed(1).padStart(8)} KiB`;
  console.log(`${file.padEnd(28)} raw ${kib(raw.length)}   brotli ${kib(br.length)}`);
}
