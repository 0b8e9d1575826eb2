// Known-answer vectors for Poseidon (1..16 inputs) computed with circomlibjs's reference
// implementation (`buildPoseidonReference`). netid-circuits' tests compare against the output
// (circuits/tests/vectors/poseidon_circomlibjs.json).
//
// Usage: node poseidon_vectors.mjs > poseidon_circomlibjs.json
import { buildPoseidonReference } from "circomlibjs";

const poseidon = await buildPoseidonReference();
const F = poseidon.F;
const p = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const out = [];
for (let n = 1; n <= 16; n++) {
  const sets = [
    Array.from({ length: n }, (_, i) => BigInt(i + 1)),
    Array.from({ length: n }, (_, i) => (p - 1n - BigInt(i) * 7919n)),
    Array.from({ length: n }, (_, i) => (BigInt(i + 1) * 0x1234567890abcdefn) ** 3n % p),
  ];
  for (const inputs of sets) {
    out.push({ inputs: inputs.map(String), hash: F.toString(poseidon(inputs)) });
  }
}
console.log(JSON.stringify(out, null, 1));
