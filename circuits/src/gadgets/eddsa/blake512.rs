//! BLAKE-512 (the SHA-3 finalist, Aumasson et al., "SHA-3 proposal BLAKE", version 1.3), which
//! circomlib's EdDSA uses for key derivation and nonces. Salt is always zero. Not BLAKE2.
//!
//! Tested against npm `blake-hash` (the implementation circomlibjs uses).

const IV: [u64; 8] = [
    0x6A09E667F3BCC908,
    0xBB67AE8584CAA73B,
    0x3C6EF372FE94F82B,
    0xA54FF53A5F1D36F1,
    0x510E527FADE682D1,
    0x9B05688C2B3E6C1F,
    0x1F83D9ABFB41BD6B,
    0x5BE0CD19137E2179,
];

/// The first digits of π.
const C: [u64; 16] = [
    0x243F6A8885A308D3,
    0x13198A2E03707344,
    0xA4093822299F31D0,
    0x082EFA98EC4E6C89,
    0x452821E638D01377,
    0xBE5466CF34E90C6C,
    0xC0AC29B7C97C50DD,
    0x3F84D5B5B5470917,
    0x9216D5D98979FB1B,
    0xD1310BA698DFB5AC,
    0x2FFD72DBD01ADFB7,
    0xB8E1AFED6A267E96,
    0xBA7C9045F12C7F99,
    0x24A19947B3916CF7,
    0x0801F2E2858EFC16,
    0x636920D871574E69,
];

const SIGMA: [[usize; 16]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

const ROUNDS: usize = 16;

fn compress(h: &mut [u64; 8], block: &[u8; 128], t: u128) {
    let mut m = [0u64; 16];
    for (w, chunk) in m.iter_mut().zip(block.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        *w = u64::from_be_bytes(b);
    }
    let (t0, t1) = (t as u64, (t >> 64) as u64);
    let mut v = [0u64; 16];
    v[..8].copy_from_slice(h);
    v[8..12].copy_from_slice(&C[..4]);
    v[12] = t0 ^ C[4];
    v[13] = t0 ^ C[5];
    v[14] = t1 ^ C[6];
    v[15] = t1 ^ C[7];
    for r in 0..ROUNDS {
        let s = &SIGMA[r % 10];
        let mut g = |a: usize, b: usize, c: usize, d: usize, i: usize| {
            v[a] = v[a]
                .wrapping_add(v[b])
                .wrapping_add(m[s[2 * i]] ^ C[s[2 * i + 1]]);
            v[d] = (v[d] ^ v[a]).rotate_right(32);
            v[c] = v[c].wrapping_add(v[d]);
            v[b] = (v[b] ^ v[c]).rotate_right(25);
            v[a] = v[a]
                .wrapping_add(v[b])
                .wrapping_add(m[s[2 * i + 1]] ^ C[s[2 * i]]);
            v[d] = (v[d] ^ v[a]).rotate_right(16);
            v[c] = v[c].wrapping_add(v[d]);
            v[b] = (v[b] ^ v[c]).rotate_right(11);
        };
        g(0, 4, 8, 12, 0);
        g(1, 5, 9, 13, 1);
        g(2, 6, 10, 14, 2);
        g(3, 7, 11, 15, 3);
        g(0, 5, 10, 15, 4);
        g(1, 6, 11, 12, 5);
        g(2, 7, 8, 13, 6);
        g(3, 4, 9, 14, 7);
    }
    for i in 0..8 {
        h[i] ^= v[i] ^ v[i + 8];
    }
}

/// BLAKE-512 of `msg` (64 bytes).
pub fn blake512(msg: &[u8]) -> [u8; 64] {
    let mut h = IV;
    let total_bits = (msg.len() as u128) * 8;
    let mut chunks = msg.chunks_exact(128);
    let mut done_bits: u128 = 0;
    for chunk in chunks.by_ref() {
        let mut block = [0u8; 128];
        block.copy_from_slice(chunk);
        done_bits += 1024;
        compress(&mut h, &block, done_bits);
    }
    let rest = chunks.remainder();
    // Padding: 1, zeros, 1, 128-bit length; the counter of a block holding no message bits is 0.
    let mut tail = Vec::with_capacity(256);
    tail.extend_from_slice(rest);
    tail.push(0x80);
    while tail.len() % 128 != 112 {
        tail.push(0);
    }
    let last = tail.len() - 1;
    tail[last] |= 0x01;
    tail.extend_from_slice(&total_bits.to_be_bytes());
    let rest_bits = (rest.len() as u128) * 8;
    for (k, chunk) in tail.chunks_exact(128).enumerate() {
        let mut block = [0u8; 128];
        block.copy_from_slice(chunk);
        // Message bits in this block: all of `rest` lies in the first tail block.
        let t = if k == 0 && rest_bits > 0 {
            done_bits + rest_bits
        } else {
            0
        };
        compress(&mut h, &block, t);
    }
    let mut out = [0u8; 64];
    for (o, w) in out.chunks_exact_mut(8).zip(h) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::blake512;

    #[test]
    fn matches_npm_blake_hash() {
        // Computed with npm blake-hash 2.0.0: createBlakeHash("blake512").update(m).digest("hex").
        let cases: [(&[u8], &str); 3] = [
            (b"", "a8cfbbd73726062df0c6864dda65defe58ef0cc52a5625090fa17601e1eecd1b628e94f396ae402a00acc9eab77b4d4c2e852aaaa25a636d80af3fc7913ef5b8"),
            (b"abc", "14266c7c704a3b58fb421ee69fd005fcc6eeff742136be67435df995b7c986e7cbde4dbde135e7689c354d2bc5b8d260536c554b4f84c118e61efc576fed7cd3"),
            (&[b'a'; 200], "42d41e8a59a5ff596800c62d3f3aa1d002d0d561783ec8403db2c3665fd167e30c0a73eded9032de333e1ba07784abfeb58857878cfa6110744c96ee8b2e4315"),
        ];
        for (m, want) in cases {
            assert_eq!(hex::encode(blake512(m)), want, "len {}", m.len());
        }
        for (n, want) in [
            (111, "440fdbb38c1d858d4ad421132683bcb377cf302392b74daa10f40488c63d1038f4c689a53e9c1673c69fdb3d29dad1ccd500adcd399c5d19b69b23ddfdd227e3"),
            (112, "889e938c432fe08c929a5417f4a101cd197cec9528e600de71ba90fc607a084b067d649468673e42c8d5c82f12ccf0c8bef473c902255083efdfe53a4b85498e"),
            (128, "d249e62b49118ef8282315e3333af1afa34520d1367a79d1ceda430a3eadc93b52321757740375cef1d362a5caaf24580a55c53866591d4e6fcd6a8c3e517dce"),
            (240, "06050b06f494ef50a0af645e96a76a45b779ba7605ec4a043901ce8ffb86ecc15933d432eb80f90b82253f9f9823bfefc22eb4ceacb72485a999af06c65a7786"),
        ] {
            assert_eq!(hex::encode(blake512(&vec![7u8; n])), want, "len {n}");
        }
        let key: Vec<u8> = (0u8..32).collect();
        assert_eq!(hex::encode(blake512(&key)), "7cfc88c1cf9e66edfa8255242687e0c70e18e91b4e3577756bbf17516fc686c3a8d12c99ee669f097ff5f40573e04cf00e76071f59720c03b4dc4bc221f919d1");
    }
}
