#!/usr/bin/env python3
# Independent computation of the wallet file test vector in specs/wallet.md §7 (needs the
# `cryptography` package, 44 or later, for Argon2id; XChaCha20 is built from HChaCha20 here).
# Checked against the Rust implementation by `store::tests::known_answer_vector`.
import hashlib, hmac, struct
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

passphrase = "口令 vector".encode()
salt = bytes(range(16))
nonce = bytes(range(0x40, 0x40 + 24))
m, t, p = 64, 2, 1
plaintext = b'{"format":1}'

master = Argon2id(salt=salt, length=32, iterations=t, lanes=p, memory_cost=m).derive(passphrase)
key = hmac.new(master, b"netid/v1/wallet/key", hashlib.sha256).digest()
check = hmac.new(master, b"netid/v1/wallet/check", hashlib.sha256).digest()

def rotl(v, c): return ((v << c) & 0xffffffff) | (v >> (32 - c))
def qr(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = rotl(s[b] ^ s[c], 7)
def hchacha20(k, n16):
    s = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574] + list(struct.unpack("<8I", k)) + list(struct.unpack("<4I", n16))
    for _ in range(10):
        qr(s, 0, 4, 8, 12); qr(s, 1, 5, 9, 13); qr(s, 2, 6, 10, 14); qr(s, 3, 7, 11, 15)
        qr(s, 0, 5, 10, 15); qr(s, 1, 6, 11, 12); qr(s, 2, 7, 8, 13); qr(s, 3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))

# RFC draft-irtf-cfrg-xchacha §2.2.1 test vector for HChaCha20
assert hchacha20(bytes(range(32)), bytes.fromhex("000000090000004a0000000031415927")).hex() == \
    "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc"

ct_len = len(plaintext) + 16
header = b"NETIDWAL" + struct.pack(">HB", 1, 1) + struct.pack(">III", m, t, p) + salt + check + nonce + struct.pack(">I", ct_len)
assert len(header) == 99
subkey = hchacha20(key, nonce[:16])
ct = ChaCha20Poly1305(subkey).encrypt(b"\0\0\0\0" + nonce[16:], plaintext, header)
body = header + ct
file = body + hashlib.sha256(body).digest()
print("master", master.hex())
print("key   ", key.hex())
print("check ", check.hex())
print("file  ", file.hex())
