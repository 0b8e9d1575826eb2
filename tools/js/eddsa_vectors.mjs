// Known-answer vectors for EdDSA-Poseidon on BabyJubJub computed with circomlibjs 0.1.7
// (`buildEddsa().signPoseidon`, `prv2pub`, `babyJub.packPoint`). netid-circuits' tests compare
// against the output (circuits/tests/vectors/eddsa_circomlibjs.json).
//
// Usage: node eddsa_vectors.mjs > eddsa_circomlibjs.json
import { buildEddsa, buildBabyjub } from "circomlibjs";

const eddsa = await buildEddsa();
const babyJub = await buildBabyjub();
const F = babyJub.F;
const out = { subOrder: babyJub.subOrder.toString(), base8: [F.toString(babyJub.Base8[0]), F.toString(babyJub.Base8[1])], cases: [] };
const keys = [
  "0001020304050607080900010203040506070809000102030405060708090001",
  "0000000000000000000000000000000000000000000000000000000000000000",
  "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
  "6e65746964206973737565722074657374206b65792030303030303030303031",
];
const msgs = ["0", "1234", "21888242871839275222246405745257275088548364400416034343698204186575808495616"];
for (const k of keys) {
  for (const m of msgs) {
    const prv = Buffer.from(k, "hex");
    const A = eddsa.prv2pub(prv);
    const sig = eddsa.signPoseidon(prv, F.e(m));
    if (!eddsa.verifyPoseidon(F.e(m), sig, A)) throw new Error("circomlibjs rejects its own signature");
    out.cases.push({
      key: k, msg: m,
      Ax: F.toString(A[0]), Ay: F.toString(A[1]),
      R8x: F.toString(sig.R8[0]), R8y: F.toString(sig.R8[1]),
      S: sig.S.toString(),
      packedA: Buffer.from(babyJub.packPoint(A)).toString("hex"),
    });
  }
}
console.log(JSON.stringify(out, null, 1));
