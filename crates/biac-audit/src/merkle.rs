//! RFC 9162 Merkle tree hashing, inclusion and consistency proofs (§2.1), as pure functions
//! over leaf hashes, plus [`Frontier`], the compact form of a growing tree that appends in
//! O(log n) and gives the root of the tree so far.
//!
//! The proof generators follow the RFC's recursive definitions (`PATH`, `SUBPROOF`); the
//! verifiers follow the RFC's iterative algorithms step for step (§2.1.3.2, §2.1.4.2).

use sha2::{Digest, Sha256};

/// A SHA-256 hash: a leaf hash, an interior node hash or a tree root.
pub type Hash = [u8; 32];

/// The root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1).
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// Why a proof could not be generated or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf index {index} is not below the tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("tree sizes {first} and {second} do not satisfy 0 < first <= second")]
    BadSizes { first: u64, second: u64 },
    #[error("the proof has the wrong number of hashes")]
    WrongLength,
    #[error("the proof does not lead to the expected root")]
    RootMismatch,
}

/// Leaf hash: SHA-256(0x00 || entry).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(entry);
    h.finalize().into()
}

/// Interior node hash: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two strictly below `n` (n >= 2).
fn split(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// `MTH(D[n])` over already-hashed leaves (RFC 9162 §2.1.1). O(n) hashes.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => EMPTY_ROOT,
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

fn to_usize(v: u64) -> Result<usize, ProofError> {
    usize::try_from(v).map_err(|_| ProofError::WrongLength)
}

/// The inclusion proof `PATH(index, D[n])` of leaf `index` in the tree of all `leaves`
/// (RFC 9162 §2.1.3.1), leaf-level sibling first. O(n) hashes.
pub fn inclusion_proof(leaves: &[Hash], index: u64) -> Result<Vec<Hash>, ProofError> {
    let size = leaves.len() as u64;
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut out = Vec::new();
    path(to_usize(index)?, leaves, &mut out);
    Ok(out)
}

fn path(m: usize, d: &[Hash], out: &mut Vec<Hash>) {
    let n = d.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    if m < k {
        path(m, &d[..k], out);
        out.push(root(&d[k..]));
    } else {
        path(m - k, &d[k..], out);
        out.push(root(&d[..k]));
    }
}

/// The consistency proof `PROOF(first, D[n])` between the tree of the first `first` leaves
/// and the tree of all `leaves` (RFC 9162 §2.1.4.1). Empty when `first` is 0 or equals the
/// size. O(n) hashes.
pub fn consistency_proof(leaves: &[Hash], first: u64) -> Result<Vec<Hash>, ProofError> {
    let second = leaves.len() as u64;
    if first > second {
        return Err(ProofError::BadSizes { first, second });
    }
    let mut out = Vec::new();
    if first > 0 && first < second {
        subproof(to_usize(first)?, leaves, true, &mut out);
    }
    Ok(out)
}

fn subproof(m: usize, d: &[Hash], b: bool, out: &mut Vec<Hash>) {
    let n = d.len();
    if m == n {
        if !b {
            out.push(root(d));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, &d[..k], b, out);
        out.push(root(&d[k..]));
    } else {
        subproof(m - k, &d[k..], false, out);
        out.push(root(&d[..k]));
    }
}

/// Verifies an inclusion proof (RFC 9162 §2.1.3.2): that `leaf` is leaf number `index` of
/// the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if &r != root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Verifies a consistency proof (RFC 9162 §2.1.4.2): that the tree of `first` leaves with
/// root `first_root` is a prefix of the tree of `second` leaves with root `second_root`.
///
/// The RFC's algorithm covers `0 < first < second`; the edge cases are those of the usual
/// implementations: `first == second` needs equal roots and an empty proof, `first == 0`
/// an empty proof (the empty tree is a prefix of every tree).
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if first > second {
        return Err(ProofError::BadSizes { first, second });
    }
    if first == second {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if first_root == second_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    if first == 0 {
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(ProofError::WrongLength)
        };
    }
    // Step 1: an empty path fails.
    if proof.is_empty() {
        return Err(ProofError::WrongLength);
    }
    // Step 2: if first is an exact power of two, prepend first_hash.
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    // Steps 3-4.
    let (mut fnode, mut snode) = (first - 1, second - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    // Step 5.
    let (mut fr, mut sr) = (path[0], path[0]);
    // Step 6.
    for c in &path[1..] {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    // Step 7.
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if &fr != first_root || &sr != second_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// The compact form of a growing tree: the roots of its maximal perfect subtrees, largest
/// (leftmost) first, one per set bit of the size. `push` is O(log n) amortised O(1);
/// `root` is O(log n) and equals [`root`] over all leaves pushed so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    peaks: Vec<Hash>,
}

impl Frontier {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves pushed.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends one leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut h = leaf;
        let mut n = self.size;
        while n & 1 == 1 {
            // Invariant: one peak per set bit of `size`, so a peak is there to pop.
            let left = self.peaks.pop().unwrap_or(EMPTY_ROOT);
            h = node_hash(&left, &h);
            n >>= 1;
        }
        self.peaks.push(h);
        self.size += 1;
    }

    /// MTH of the leaves pushed so far.
    pub fn root(&self) -> Hash {
        let mut it = self.peaks.iter().rev();
        let Some(last) = it.next() else {
            return EMPTY_ROOT;
        };
        it.fold(*last, |acc, peak| node_hash(peak, &acc))
    }
}

/// Lower-case hex of a hash.
pub fn to_hex(h: &Hash) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(64);
    for b in h {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Parses 64 hex digits (either case) into a hash.
pub fn from_hex(s: &str) -> Option<Hash> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in b.chunks_exact(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        out[i] = (hi * 16 + lo) as u8;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn h(s: &str) -> Hash {
        from_hex(s).expect("hex")
    }

    // Known answers from the transparency-dev/merkle Go module (successor of trillian's
    // `merkle/rfc6962` tests): `testonly/constants.go` (LeafInputs, RootHashes) and
    // `proof/verify_test.go` (inclusionProofs, consistencyProofs; its leaf numbers are
    // 1-based, ours 0-based).
    const LEAF_INPUTS: [&[u8]; 8] = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    ];
    const ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    /// (0-based leaf index, tree size, proof)
    const INCLUSION: [(u64, u64, &[&str]); 4] = [
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            3,
            &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
        ),
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    /// (first size, second size, proof)
    const CONSISTENCY: [(u64, u64, &[&str]); 5] = [
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            6,
            7,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];

    fn ref_leaves() -> Vec<Hash> {
        LEAF_INPUTS.iter().map(|l| leaf_hash(l)).collect()
    }

    #[test]
    fn known_roots() {
        assert_eq!(root(&[]), EMPTY_ROOT);
        assert_eq!(to_hex(&EMPTY_ROOT), ROOTS[0]);
        let leaves = ref_leaves();
        let mut f = Frontier::new();
        assert_eq!(f.root(), EMPTY_ROOT);
        for n in 1..=8 {
            assert_eq!(to_hex(&root(&leaves[..n])), ROOTS[n], "size {n}");
            f.push(leaves[n - 1]);
            assert_eq!(to_hex(&f.root()), ROOTS[n], "frontier size {n}");
        }
    }

    #[test]
    fn known_inclusion_proofs() {
        let leaves = ref_leaves();
        for (index, size, want) in INCLUSION {
            let want: Vec<Hash> = want.iter().map(|s| h(s)).collect();
            let got = inclusion_proof(&leaves[..size as usize], index).unwrap();
            assert_eq!(got, want, "index {index} size {size}");
            let r = h(ROOTS[size as usize]);
            verify_inclusion(index, size, &leaves[index as usize], &got, &r).unwrap();
            // Corruptions as in the Go tests: wrong index, size, leaf, root, proof.
            let l = leaves[index as usize];
            assert!(verify_inclusion(index + 1, size, &l, &got, &r).is_err());
            assert!(verify_inclusion(index ^ 2, size, &l, &got, &r).is_err());
            assert!(verify_inclusion(index, size * 2, &l, &got, &r).is_err());
            assert!(verify_inclusion(index, size / 2, &l, &got, &r).is_err());
            assert!(verify_inclusion(index, size, &EMPTY_ROOT, &got, &r).is_err());
            assert!(verify_inclusion(index, size, &l, &got, &EMPTY_ROOT).is_err());
            let mut longer = got.clone();
            longer.push(r);
            assert!(verify_inclusion(index, size, &l, &longer, &r).is_err());
            assert!(verify_inclusion(index, size, &l, &got[..got.len() - 1], &r).is_err());
            for i in 0..got.len() {
                let mut bad = got.clone();
                bad[i][0] ^= 8;
                assert!(verify_inclusion(index, size, &l, &bad, &r).is_err());
            }
        }
        // Single leaf: empty proof, root == leaf hash.
        verify_inclusion(0, 1, &leaves[0], &[], &leaves[0]).unwrap();
        assert!(inclusion_proof(&leaves[..0], 0).is_err());
        assert!(verify_inclusion(0, 0, &leaves[0], &[], &EMPTY_ROOT).is_err());
    }

    #[test]
    fn known_consistency_proofs() {
        let leaves = ref_leaves();
        for (m, n, want) in CONSISTENCY {
            let want: Vec<Hash> = want.iter().map(|s| h(s)).collect();
            let got = consistency_proof(&leaves[..n as usize], m).unwrap();
            assert_eq!(got, want, "{m} -> {n}");
            let (r1, r2) = (h(ROOTS[m as usize]), h(ROOTS[n as usize]));
            verify_consistency(m, n, &r1, &r2, &got).unwrap();
            if got.is_empty() {
                continue;
            }
            assert!(verify_consistency(m - 1, n, &r1, &r2, &got).is_err());
            assert!(verify_consistency(m + 1, n, &r1, &r2, &got).is_err());
            assert!(verify_consistency(m, n * 2, &r1, &r2, &got).is_err());
            assert!(verify_consistency(m, n / 2, &r1, &r2, &got).is_err());
            assert!(verify_consistency(m, n, &r2, &r1, &got).is_err());
            assert!(verify_consistency(m, n, &r1, &r2, &[]).is_err());
            assert!(verify_consistency(m, n, &r1, &r2, &got[..got.len() - 1]).is_err());
            let mut longer = got.clone();
            longer.push(r1);
            assert!(verify_consistency(m, n, &r1, &r2, &longer).is_err());
            for i in 0..got.len() {
                let mut bad = got.clone();
                bad[i][0] ^= 16;
                assert!(verify_consistency(m, n, &r1, &r2, &bad).is_err());
            }
        }
        // Edge cases.
        let r = h(ROOTS[3]);
        verify_consistency(0, 0, &EMPTY_ROOT, &EMPTY_ROOT, &[]).unwrap();
        verify_consistency(0, 3, &EMPTY_ROOT, &r, &[]).unwrap();
        assert!(verify_consistency(0, 3, &EMPTY_ROOT, &r, &[r]).is_err());
        assert!(verify_consistency(3, 3, &r, &EMPTY_ROOT, &[]).is_err());
        assert!(verify_consistency(3, 2, &r, &r, &[]).is_err());
        assert!(consistency_proof(&leaves[..2], 3).is_err());
    }

    fn leaves_n(n: usize) -> Vec<Hash> {
        (0..n as u64).map(|i| leaf_hash(&i.to_le_bytes())).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn frontier_matches_root(n in 0usize..300) {
            let leaves = leaves_n(n);
            let mut f = Frontier::new();
            for l in &leaves { f.push(*l); }
            prop_assert_eq!(f.size(), n as u64);
            prop_assert_eq!(f.root(), root(&leaves));
        }

        #[test]
        fn inclusion_roundtrip(n in 1usize..300, i in any::<prop::sample::Index>(),
                               bit in 0usize..256, which in any::<prop::sample::Index>()) {
            let leaves = leaves_n(n);
            let index = i.index(n);
            let r = root(&leaves);
            let proof = inclusion_proof(&leaves, index as u64).unwrap();
            prop_assert!(verify_inclusion(index as u64, n as u64, &leaves[index], &proof, &r).is_ok());
            // A flipped bit in the leaf, the root or any proof hash fails.
            let flip = |h: &Hash| { let mut h = *h; h[bit / 8] ^= 1 << (bit % 8); h };
            prop_assert!(verify_inclusion(index as u64, n as u64, &flip(&leaves[index]), &proof, &r).is_err());
            prop_assert!(verify_inclusion(index as u64, n as u64, &leaves[index], &proof, &flip(&r)).is_err());
            if !proof.is_empty() {
                let mut bad = proof.clone();
                let j = which.index(bad.len());
                bad[j] = flip(&bad[j]);
                prop_assert!(verify_inclusion(index as u64, n as u64, &leaves[index], &bad, &r).is_err());
            }
        }

        #[test]
        fn consistency_roundtrip(n in 1usize..300, m in any::<prop::sample::Index>(),
                                 bit in 0usize..256, which in any::<prop::sample::Index>()) {
            let leaves = leaves_n(n);
            let m = m.index(n + 1);
            let (r1, r2) = (root(&leaves[..m]), root(&leaves));
            let proof = consistency_proof(&leaves, m as u64).unwrap();
            prop_assert!(verify_consistency(m as u64, n as u64, &r1, &r2, &proof).is_ok());
            let flip = |h: &Hash| { let mut h = *h; h[bit / 8] ^= 1 << (bit % 8); h };
            if m > 0 {
                prop_assert!(verify_consistency(m as u64, n as u64, &flip(&r1), &r2, &proof).is_err());
                prop_assert!(verify_consistency(m as u64, n as u64, &r1, &flip(&r2), &proof).is_err());
            }
            if !proof.is_empty() {
                let mut bad = proof.clone();
                let j = which.index(bad.len());
                bad[j] = flip(&bad[j]);
                prop_assert!(verify_consistency(m as u64, n as u64, &r1, &r2, &bad).is_err());
            }
        }
    }
}
