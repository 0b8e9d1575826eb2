// Extracts circomlib's Poseidon constants for widths t = 14..17 (13 to 16 inputs) from
// circomlibjs's published `src/poseidon_constants.json` into the compact binary file that
// netid-circuits embeds (circuits/src/gadgets/poseidon/constants_t14_t17.bin).
//
// Layout, for t = 14, 15, 16, 17 in order: the (8 + R_P(t))·t round constants C, then the t×t MDS
// matrix M row by row; every element as 32 bytes little-endian. R_P = 70, 60, 64, 68.
//
// Usage: node poseidon_constants.mjs OUT_FILE
import fs from "fs";
import path from "path";
import { fileURLToPath } from "url";
const here = path.dirname(fileURLToPath(import.meta.url));
const consts = JSON.parse(fs.readFileSync(
  path.join(here, "node_modules/circomlibjs/src/poseidon_constants.json"), "utf8"));

function le32(x) {
  let v = BigInt(x);
  const out = Buffer.alloc(32);
  for (let i = 0; i < 32; i++) { out[i] = Number(v & 0xffn); v >>= 8n; }
  if (v !== 0n) throw new Error("constant does not fit 32 bytes");
  return out;
}

const parts = [];
for (let t = 14; t <= 17; t++) {
  const C = consts.C[t - 2];
  const M = consts.M[t - 2];
  if (M.length !== t) throw new Error(`M for t=${t} is ${M.length}x?`);
  for (const c of C) parts.push(le32(c));
  for (const row of M) for (const m of row) parts.push(le32(m));
}
fs.writeFileSync(process.argv[2], Buffer.concat(parts));
