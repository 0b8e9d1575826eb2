//! Helpers for the canonical byte encodings (big-endian, length-prefixed).

/// A length as `u32`. Every variable-length field is bounded far below 2^32 by validation
/// before it is encoded; a longer one saturates (and has already failed validation).
pub(crate) fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// Appends `u32_be(len(bytes)) || bytes`.
pub(crate) fn put_len_prefixed(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&len_u32(bytes.len()).to_be_bytes());
    out.extend_from_slice(bytes);
}
