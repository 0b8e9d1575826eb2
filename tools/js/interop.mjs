// Live interop checks for netid-circuits' tests (circuits/tests/js_interop.rs): reads one JSON
// request on stdin, answers one JSON object on stdout, using circomlibjs and snarkjs as
// independent implementations.
//
//   {"op":"poseidon","inputs":["1","2"]}                         -> {"hash":"…"}
//   {"op":"eddsa-sign","key":"<64 hex>","msg":"…"}               -> {"Ax","Ay","R8x","R8y","S"}
//   {"op":"eddsa-verify","Ax","Ay","R8x","R8y","S","msg"}        -> {"valid":bool}
//   {"op":"groth16-verify","vk":{…},"public":[…],"proof":{…}}    -> {"valid":bool}
import { buildPoseidonReference, buildEddsa } from "circomlibjs";
import * as snarkjs from "snarkjs";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const req = JSON.parse(input);
let out;
if (req.op === "poseidon") {
  const poseidon = await buildPoseidonReference();
  out = { hash: poseidon.F.toString(poseidon(req.inputs.map(BigInt))) };
} else if (req.op === "eddsa-sign" || req.op === "eddsa-verify") {
  const eddsa = await buildEddsa();
  const F = eddsa.babyJub.F;
  if (req.op === "eddsa-sign") {
    const prv = Buffer.from(req.key, "hex");
    const A = eddsa.prv2pub(prv);
    const sig = eddsa.signPoseidon(prv, F.e(req.msg));
    out = { Ax: F.toString(A[0]), Ay: F.toString(A[1]), R8x: F.toString(sig.R8[0]), R8y: F.toString(sig.R8[1]), S: sig.S.toString() };
  } else {
    const sig = { R8: [F.e(req.R8x), F.e(req.R8y)], S: BigInt(req.S) };
    out = { valid: eddsa.verifyPoseidon(F.e(req.msg), sig, [F.e(req.Ax), F.e(req.Ay)]) };
  }
} else if (req.op === "groth16-verify") {
  const logger = { debug() {}, info() {}, warn() {}, error() {} };
  out = { valid: await snarkjs.groth16.verify(req.vk, req.public, req.proof, logger) };
} else {
  throw new Error("unknown op " + req.op);
}
process.stdout.write(JSON.stringify(out) + "\n");
process.exit(0);
