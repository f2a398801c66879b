"""RFC 9162 Merkle tree: against a recursive reference written from the RFC, against pymerkle, and against the
Certificate Transparency test vectors; tampered and malformed proofs; appends; hypothesis properties."""

import hashlib
import random
from collections.abc import Iterator
from functools import cache
from typing import Any

import pymerkle  # type: ignore[import-untyped]  # ships no type information
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.crypto.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    MerkleTree,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# ---------------------------------------------------------------------------------------------------------
# Reference: RFC 9162 2.1.1 (MTH), 2.1.3.1 (PATH) and 2.1.4.1 (PROOF, SUBPROOF), recursive as the RFC writes
# them and hashing on their own. A list D[start:end] is a range of REF_LEAVES; m is relative to the range.
# Memoised only so that checking every size and index stays fast.

REF_SIZE = 300
REF_LEAVES = tuple(sha256(b"\x00" + b"reference entry %d" % i) for i in range(REF_SIZE))


def ref_k(n: int) -> int:
    """The largest power of two smaller than n (n > 1), found by doubling rather than by bit tricks."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@cache
def ref_mth(start: int, end: int) -> bytes:
    n = end - start
    if n == 0:
        return sha256(b"")
    if n == 1:
        return REF_LEAVES[start]
    k = ref_k(n)
    return sha256(b"\x01" + ref_mth(start, start + k) + ref_mth(start + k, end))


def ref_path(m: int, start: int, end: int) -> list[bytes]:
    n = end - start
    if n == 1:
        return []
    k = ref_k(n)
    if m < k:
        return ref_path(m, start, start + k) + [ref_mth(start + k, end)]
    return ref_path(m - k, start + k, end) + [ref_mth(start, start + k)]


def ref_subproof(m: int, start: int, end: int, b: bool) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if b else [ref_mth(start, end)]
    k = ref_k(n)
    if m <= k:
        return ref_subproof(m, start, start + k, b) + [ref_mth(start + k, end)]
    return ref_subproof(m - k, start + k, end, False) + [ref_mth(start, start + k)]


def ref_proof(m: int, n: int) -> list[bytes]:
    return ref_subproof(m, 0, n, True)


# One tree of REF_SIZE leaves, asked about every smaller size (right edges computed from complete subtrees),
# and, per size, a tree of exactly that size (right edges read from the carried-up nodes).
REF_TREE = MerkleTree(REF_LEAVES)


@cache
def exact_tree(n: int) -> MerkleTree:
    return MerkleTree(REF_LEAVES[:n])


def test_hash_primitives_follow_rfc_9162_2_1_1() -> None:
    assert leaf_hash(b"entry") == sha256(b"\x00entry")
    left, right = sha256(b"l"), sha256(b"r")
    assert node_hash(left, right) == sha256(b"\x01" + left + right)
    assert bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == EMPTY_ROOT
    assert root([]) == EMPTY_ROOT
    empty = MerkleTree()
    assert (empty.size, empty.root(), empty.root(0)) == (0, EMPTY_ROOT, EMPTY_ROOT)
    assert empty.levels == [[]]


def test_roots_match_the_reference_for_every_size() -> None:
    for n in range(REF_SIZE + 1):
        expected = ref_mth(0, n)
        assert root(REF_LEAVES[:n]) == expected, n
        assert REF_TREE.root(n) == expected, n
        assert exact_tree(n).root() == expected, n
    assert REF_TREE.root() == ref_mth(0, REF_SIZE)


def test_carrying_the_odd_node_up_gives_the_rfc_left_heavy_split() -> None:
    # Node i of level h must be MTH of leaves [i*2^h, min((i+1)*2^h, n)): that is what lets the proofs read
    # subtree hashes from the levels instead of splitting at the largest power of two below n.
    for n in range(1, REF_SIZE + 1):
        levels = exact_tree(n).levels
        assert len(levels[-1]) == 1
        for h, level in enumerate(levels):
            assert len(level) == -(-n // 2**h), (n, h)
            for i, node in enumerate(level):
                assert node == ref_mth(i * 2**h, min((i + 1) * 2**h, n)), (n, h, i)


def test_inclusion_proofs_match_the_reference_for_every_size_and_index() -> None:
    for n in range(1, REF_SIZE + 1):
        tree_root = ref_mth(0, n)
        for i in range(n):
            expected = ref_path(i, 0, n)
            proof = REF_TREE.inclusion_proof(i, n)
            assert proof == expected, (i, n)
            assert exact_tree(n).inclusion_proof(i, n) == expected, (i, n)
            assert verify_inclusion(REF_LEAVES[i], i, n, proof, tree_root), (i, n)


def test_consistency_proofs_match_the_reference_for_every_pair_of_sizes() -> None:
    for n in range(1, REF_SIZE + 1):
        new_root = ref_mth(0, n)
        for m in range(1, n + 1):
            expected = ref_proof(m, n)
            proof = REF_TREE.consistency_proof(m, n)
            assert proof == expected, (m, n)
            assert exact_tree(n).consistency_proof(m, n) == expected, (m, n)
            assert verify_consistency(m, n, ref_mth(0, m), new_root, proof), (m, n)
        assert REF_TREE.consistency_proof(0, n) == []
        assert verify_consistency(0, n, EMPTY_ROOT, new_root, [])


# ---------------------------------------------------------------------------------------------------------
# Certificate Transparency test vectors, as Google's certificate-transparency and trillian use them.
# Leaves, node hashes and roots: transparency-dev/merkle testonly/constants.go (the same values as
# google/trillian merkle/testonly/constants.go). Inclusion and consistency proofs:
# transparency-dev/merkle proof/verify_test.go (leaf numbers there count from 1; indexes here from 0).
# Proof shapes as node coordinates: transparency-dev/merkle proof/proof_test.go (TestInclusion,
# TestConsistency), the cases whose nodes are all complete subtrees of the 8-leaf tree.

CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
CT_NODE_HASHES = [
    [
        bytes.fromhex(h)
        for h in (
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
            "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
        )
    ],
    [
        bytes.fromhex(h)
        for h in (
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        )
    ],
    [
        bytes.fromhex(h)
        for h in (
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        )
    ],
    [bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")],
]
CT_ROOTS = [
    bytes.fromhex(h)
    for h in (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
# (index, size, proof)
CT_INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
# (old size, new size, proof)
CT_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
# (index or old size, size, [(level, index in level)]), in proof_test.go's compact.NewNodeID(level, index).
CT_INCLUSION_SHAPES = [
    (0, 2, [(0, 1)]),
    (1, 2, [(0, 0)]),
    (1, 3, [(0, 0), (0, 2)]),
    (4, 7, [(0, 5), (0, 6), (2, 0)]),
    (5, 7, [(0, 4), (0, 6), (2, 0)]),
    (6, 7, [(1, 2), (2, 0)]),
    (2, 4, [(0, 3), (1, 0)]),
    (3, 5, [(0, 2), (1, 0), (0, 4)]),
    (3, 6, [(0, 2), (1, 0), (1, 2)]),
    (4, 6, [(0, 5), (2, 0)]),
]
CT_CONSISTENCY_SHAPES = [
    (1, 2, [(0, 1)]),
    (1, 4, [(0, 1), (1, 1)]),
    (1, 6, [(0, 1), (1, 1), (1, 2)]),
    (2, 3, [(0, 2)]),
    (2, 8, [(1, 1), (2, 1)]),
    (5, 7, [(0, 4), (0, 5), (0, 6), (2, 0)]),
    (6, 7, [(1, 2), (0, 6), (2, 0)]),
    (7, 8, [(0, 6), (0, 7), (1, 2), (2, 0)]),
    (2, 4, [(1, 1)]),
    (3, 5, [(0, 2), (0, 3), (1, 0), (0, 4)]),
    (3, 6, [(0, 2), (0, 3), (1, 0), (1, 2)]),
    (4, 6, [(1, 2)]),
]
CT_TREE = MerkleTree([leaf_hash(entry) for entry in CT_LEAVES])


def test_ct_vectors_roots_and_levels() -> None:
    assert CT_TREE.levels == CT_NODE_HASHES
    for size, expected in enumerate(CT_ROOTS):
        assert CT_TREE.root(size) == expected, size
        assert root([leaf_hash(entry) for entry in CT_LEAVES[:size]]) == expected, size


@pytest.mark.parametrize(("index", "size", "proof"), CT_INCLUSION)
def test_ct_vectors_inclusion(index: int, size: int, proof: list[str]) -> None:
    expected = [bytes.fromhex(h) for h in proof]
    assert CT_TREE.inclusion_proof(index, size) == expected
    assert verify_inclusion(leaf_hash(CT_LEAVES[index]), index, size, expected, CT_ROOTS[size])


@pytest.mark.parametrize(("old_size", "new_size", "proof"), CT_CONSISTENCY)
def test_ct_vectors_consistency(old_size: int, new_size: int, proof: list[str]) -> None:
    expected = [bytes.fromhex(h) for h in proof]
    assert CT_TREE.consistency_proof(old_size, new_size) == expected
    assert verify_consistency(old_size, new_size, CT_ROOTS[old_size], CT_ROOTS[new_size], expected)


@pytest.mark.parametrize(("index", "size", "nodes"), CT_INCLUSION_SHAPES)
def test_ct_inclusion_shapes(index: int, size: int, nodes: list[tuple[int, int]]) -> None:
    assert CT_TREE.inclusion_proof(index, size) == [CT_NODE_HASHES[level][i] for level, i in nodes]


@pytest.mark.parametrize(("old_size", "new_size", "nodes"), CT_CONSISTENCY_SHAPES)
def test_ct_consistency_shapes(old_size: int, new_size: int, nodes: list[tuple[int, int]]) -> None:
    assert CT_TREE.consistency_proof(old_size, new_size) == [CT_NODE_HASHES[level][i] for level, i in nodes]


# ---------------------------------------------------------------------------------------------------------
# pymerkle 7, an independent implementation. Its defaults are RFC 9162's hashing: algorithm "sha256" and,
# unless disable_security=True, the 0x00 / 0x01 prefixes (MerkleHasher.hash_buff / hash_pair); the empty
# tree's root is SHA-256 of nothing. Its conventions differ from the RFC's lists, though:
# - leaf indexes count from 1;
# - an inclusion proof's path starts with the leaf hash itself, then the RFC's audit path;
# - a consistency proof's path always starts with a base node, and where the old tree ends exactly at the
#   boundary of a split (old size == the RFC's k) it descends into the right subtree rather than the left,
#   so that part is given as that subtree's first leaf and its right siblings instead of the RFC's single
#   MTH(D[k:n]). `rfc_consistency_from_pymerkle` folds those back into the RFC's list.
# get_state (named in older docs) is a deprecated alias of get_root in 7.0.

PYMERKLE_SIZE = 1000
PYMERKLE_ENTRIES = [b"kix audit entry %d" % i for i in range(PYMERKLE_SIZE)]
PYMERKLE_DENSE = 130
PYMERKLE_SAMPLE = 400


@pytest.fixture(scope="module")
def pm_tree() -> pymerkle.InmemoryTree:
    tree = pymerkle.InmemoryTree(algorithm="sha256")
    for entry in PYMERKLE_ENTRIES:
        tree.append_entry(entry)
    return tree


@pytest.fixture(scope="module")
def our_tree() -> MerkleTree:
    return MerkleTree([leaf_hash(entry) for entry in PYMERKLE_ENTRIES])


def pymerkle_pairs(first_low: int) -> list[tuple[int, int]]:
    """(a, n) pairs: every a in first_low..n for n up to PYMERKLE_DENSE, then a seeded sample up to 1000."""
    pairs = [(a, n) for n in range(1, PYMERKLE_DENSE + 1) for a in range(first_low, n + 1)]
    rng = random.Random(9162)  # noqa: S311 - a reproducible sample, not a secret
    for _ in range(PYMERKLE_SAMPLE):
        n = rng.randint(PYMERKLE_DENSE + 1, PYMERKLE_SIZE)
        pairs.append((rng.randint(first_low, n), n))
    return pairs


def rfc_consistency_from_pymerkle(proof: pymerkle.ConsistencyProof) -> list[bytes]:
    """The RFC 9162 PROOF list for the same sizes (see the conventions above)."""
    path: list[bytes] = list(proof.path)
    subset: list[int] = list(proof.subset)
    # subset marks the nodes that are part of the old tree.
    if subset[0]:
        # The base is the old tree's last subtree; the RFC omits it when that is the whole old tree, i.e.
        # when no other node belongs to the old tree (SUBPROOF's b is still true).
        return path if any(subset[1:]) else path[1:]
    # The base is the first leaf after the old tree. Up to the first old-tree node come its right siblings:
    # together they make the RFC's MTH(D[k:n]). The old-tree node after them is the RFC's MTH(D[m]) terminal,
    # which it leaves out when that is the whole old tree.
    split = subset.index(1)
    new_part = path[0]
    for sibling in path[1:split]:
        new_part = sha256(b"\x01" + new_part + sibling)
    terminal = [path[split]] if any(subset[split + 1 :]) else []
    return terminal + [new_part] + path[split + 1 :]


def test_pymerkle_leaf_hashes_and_roots_for_every_size(
    pm_tree: pymerkle.InmemoryTree, our_tree: MerkleTree
) -> None:
    leaves = our_tree.levels[0]
    for i in range(PYMERKLE_SIZE):
        assert pm_tree.get_leaf(i + 1) == leaves[i] == leaf_hash(PYMERKLE_ENTRIES[i])
    for size in range(PYMERKLE_SIZE + 1):
        expected = pm_tree.get_root(size)
        assert our_tree.root(size) == expected, size
        assert root(leaves[:size]) == expected, size


def test_pymerkle_inclusion_proofs(pm_tree: pymerkle.InmemoryTree, our_tree: MerkleTree) -> None:
    for position, size in pymerkle_pairs(1):
        index = position - 1
        ours = our_tree.inclusion_proof(index, size)
        theirs = pm_tree.prove_inclusion(position, size)
        assert theirs.path[0] == our_tree.levels[0][index]
        assert theirs.path[1:] == ours, (index, size)
        assert verify_inclusion(our_tree.levels[0][index], index, size, ours, pm_tree.get_root(size))


def test_pymerkle_consistency_proofs(pm_tree: pymerkle.InmemoryTree, our_tree: MerkleTree) -> None:
    converted_a_split = False
    for old_size, new_size in pymerkle_pairs(1):
        ours = our_tree.consistency_proof(old_size, new_size)
        theirs = pm_tree.prove_consistency(old_size, new_size)
        converted_a_split |= theirs.subset[0] == 0
        assert rfc_consistency_from_pymerkle(theirs) == ours, (old_size, new_size)
        old_root, new_root = pm_tree.get_root(old_size), pm_tree.get_root(new_size)
        # Their verifier accepts their proof for our roots, and ours accepts our proof for theirs.
        pymerkle.verify_consistency(our_tree.root(old_size), our_tree.root(new_size), theirs)
        assert verify_consistency(old_size, new_size, old_root, new_root, ours)
    assert converted_a_split


# ---------------------------------------------------------------------------------------------------------
# Tampering and malformed input: the verifiers say False, and never raise.

OTHER_HASH = sha256(b"not in the tree")


def flipped(value: bytes, position: int) -> bytes:
    return value[:position] + bytes([value[position] ^ 0x01]) + value[position + 1 :]


def every_single_byte_flip(proof: list[bytes]) -> Iterator[list[bytes]]:
    for j, node in enumerate(proof):
        for position in range(HASH_SIZE):
            yield proof[:j] + [flipped(node, position)] + proof[j + 1 :]


def length_changes(proof: list[bytes], root_hash: bytes) -> Iterator[list[bytes]]:
    if proof:
        yield proof[:-1]
        yield proof[1:]
        yield [proof[0], *proof]
    yield [*proof, OTHER_HASH]
    yield [OTHER_HASH, *proof]
    yield [*proof, root_hash]
    yield [root_hash, *proof]


INCLUSION_CASES = sorted(
    {
        (index, size)
        for size in (1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 16, 17, 31, 32, 33, 100, 255, 256, 257, 300)
        for index in (0, 1, size // 2, size - 2, size - 1)
        if 0 <= index < size
    }
)


@pytest.mark.parametrize(("index", "size"), INCLUSION_CASES)
def test_tampered_inclusion_proofs_fail(index: int, size: int) -> None:
    leaf, tree_root = REF_LEAVES[index], REF_TREE.root(size)
    proof = REF_TREE.inclusion_proof(index, size)
    assert verify_inclusion(leaf, index, size, proof, tree_root)
    for bad in every_single_byte_flip(proof):
        assert not verify_inclusion(leaf, index, size, bad, tree_root)
    for position in range(HASH_SIZE):
        assert not verify_inclusion(flipped(leaf, position), index, size, proof, tree_root)
        assert not verify_inclusion(leaf, index, size, proof, flipped(tree_root, position))
    for bad in length_changes(proof, tree_root):
        assert not verify_inclusion(leaf, index, size, bad, tree_root)
    for wrong_index in {index - 1, index + 1, index ^ 1, index ^ 2, size, size + 1, 2**64} - {index}:
        assert not verify_inclusion(leaf, wrong_index, size, proof, tree_root), wrong_index
    # A wrong size with the root of that size (a size is only ever checked together with its root).
    for wrong_size in {size - 1, size + 1, size * 2, size // 2} - {size}:
        if index < wrong_size <= REF_SIZE:
            assert not verify_inclusion(leaf, index, wrong_size, proof, REF_TREE.root(wrong_size))
    assert not verify_inclusion(OTHER_HASH, index, size, proof, tree_root)
    assert not verify_inclusion(leaf, index, size, proof, EMPTY_ROOT)


CONSISTENCY_CASES = [
    (1, 2),
    (1, 8),
    (2, 5),
    (3, 7),
    (4, 8),
    (5, 7),
    (6, 8),
    (7, 8),
    (1, 300),
    (5, 300),
    (100, 257),
    (128, 300),
    (255, 256),
    (256, 257),
    (256, 300),
    (299, 300),
]


@pytest.mark.parametrize(("old_size", "new_size"), CONSISTENCY_CASES)
def test_tampered_consistency_proofs_fail(old_size: int, new_size: int) -> None:
    old_root, new_root = REF_TREE.root(old_size), REF_TREE.root(new_size)
    proof = REF_TREE.consistency_proof(old_size, new_size)
    assert verify_consistency(old_size, new_size, old_root, new_root, proof)
    for bad in every_single_byte_flip(proof):
        assert not verify_consistency(old_size, new_size, old_root, new_root, bad)
    for position in range(HASH_SIZE):
        assert not verify_consistency(old_size, new_size, flipped(old_root, position), new_root, proof)
        assert not verify_consistency(old_size, new_size, old_root, flipped(new_root, position), proof)
    for bad in length_changes(proof, new_root):
        assert not verify_consistency(old_size, new_size, old_root, new_root, bad)
    assert not verify_consistency(old_size, new_size, old_root, new_root, [])
    assert not verify_consistency(old_size, new_size, new_root, old_root, proof)
    assert not verify_consistency(new_size, old_size, new_root, old_root, proof)
    for wrong_old in {old_size - 1, old_size + 1, old_size ^ 2, old_size * 2} - {old_size}:
        if 0 < wrong_old <= new_size:
            assert not verify_consistency(wrong_old, new_size, REF_TREE.root(wrong_old), new_root, proof)
    for wrong_new in {new_size - 1, new_size + 1, new_size * 2} - {new_size}:
        if old_size <= wrong_new <= REF_SIZE:
            assert not verify_consistency(old_size, wrong_new, old_root, REF_TREE.root(wrong_new), proof)
    assert not verify_consistency(old_size, new_size + 2**64, old_root, new_root, proof)


def test_the_root_binds_the_size_not_the_proof() -> None:
    # RFC 9162's verifiers trust that size and root come from one signed tree head: leaf 0's audit path in
    # the 3-leaf tree, [b, c], has the same shape as in a 4-leaf tree, so with the 3-leaf root it "proves"
    # size 4 as well. Callers must pair sizes and roots; this pins the behaviour so nobody relies on more.
    proof = CT_TREE.inclusion_proof(0, 3)
    leaf = leaf_hash(CT_LEAVES[0])
    assert verify_inclusion(leaf, 0, 4, proof, CT_ROOTS[3])
    assert not verify_inclusion(leaf, 0, 4, proof, CT_ROOTS[4])


def test_verifiers_edge_cases() -> None:
    r1, r2 = CT_ROOTS[1], CT_ROOTS[2]
    leaf = leaf_hash(CT_LEAVES[0])
    # Equal sizes: equal roots and an empty proof, nothing else.
    assert verify_consistency(3, 3, r1, r1, [])
    assert not verify_consistency(3, 3, r1, r2, [])
    assert not verify_consistency(3, 3, r1, r1, [r1])
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    # Old size 0: an empty proof, whatever the roots (documented choice).
    assert verify_consistency(0, 5, EMPTY_ROOT, r2, [])
    assert verify_consistency(0, 5, r1, r2, [])
    assert not verify_consistency(0, 5, EMPTY_ROOT, r2, [EMPTY_ROOT])
    # Going back in time.
    assert not verify_consistency(2, 1, r2, r1, [])
    assert not verify_consistency(2, 1, r2, r1, [r1])
    # Inclusion: an index past the end, an empty tree, the one-leaf tree.
    assert verify_inclusion(leaf, 0, 1, [], leaf)
    assert not verify_inclusion(leaf, 1, 1, [], leaf)
    assert not verify_inclusion(leaf, 0, 0, [], leaf)
    assert not verify_inclusion(leaf, 0, 1, [leaf], leaf)
    # bool is an int: False and True would otherwise pass for index 0 of a one-leaf tree.
    assert not verify_inclusion(leaf, False, 1, [], leaf)
    assert not verify_inclusion(leaf, 0, True, [], leaf)
    assert not verify_consistency(True, True, r1, r1, [])


MALFORMED: list[Any] = [
    None,
    -1,
    True,
    2**64,
    1.0,
    "0",
    b"",
    b"\x00" * (HASH_SIZE - 1),
    b"\x00" * (HASH_SIZE + 1),
    bytearray(HASH_SIZE),
    [b"\x00" * (HASH_SIZE - 1)],
    [None],
    b"\x00" * HASH_SIZE * 2,
    "ab" * HASH_SIZE,
]


def test_verifiers_say_false_to_malformed_arguments() -> None:
    leaf, proof, tree_root = REF_LEAVES[5], REF_TREE.inclusion_proof(5, 9), REF_TREE.root(9)
    good_inclusion: list[Any] = [leaf, 5, 9, proof, tree_root]
    old_root = REF_TREE.root(5)
    c_proof = REF_TREE.consistency_proof(5, 9)
    good_consistency: list[Any] = [5, 9, old_root, tree_root, c_proof]
    assert verify_inclusion(*good_inclusion)
    assert verify_inclusion(leaf, 5, 9, tuple(proof), tree_root)
    assert verify_consistency(*good_consistency)
    for position in range(5):
        for bad in MALFORMED:
            args = list(good_inclusion)
            args[position] = bad
            assert verify_inclusion(*args) is False, (position, bad)
            args = list(good_consistency)
            args[position] = bad
            assert verify_consistency(*args) is False, (position, bad)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.integers(min_value=-3, max_value=2**65),
            st.binary(max_size=40),
            st.lists(st.binary(min_size=31, max_size=33), max_size=12),
            st.lists(st.sampled_from([EMPTY_ROOT, OTHER_HASH, *CT_ROOTS]), max_size=70),
        ),
        min_size=5,
        max_size=5,
    )
)
def test_verifiers_never_raise(args: list[Any]) -> None:
    assert verify_inclusion(*args) in (True, False)
    assert verify_consistency(*args) in (True, False)


def test_generation_rejects_impossible_requests() -> None:
    tree = MerkleTree(REF_LEAVES[:10])
    for index, size in [(0, 0), (10, 10), (-1, 5), (3, 11), (5, 4)]:
        with pytest.raises(ValueError, match="inclusion proof"):
            tree.inclusion_proof(index, size)
    for old_size, new_size in [(-1, 5), (6, 5), (3, 11)]:
        with pytest.raises(ValueError, match="consistency proof"):
            tree.consistency_proof(old_size, new_size)
    for size in (-1, 11):
        with pytest.raises(ValueError, match="size"):
            tree.root(size)
    for bad in (b"", b"\x00" * 31, b"\x00" * 33):
        with pytest.raises(ValueError, match="leaf hash"):
            tree.append(bad)
        with pytest.raises(ValueError, match="leaf hash"):
            MerkleTree([*REF_LEAVES[:3], bad])
        with pytest.raises(ValueError, match="leaf hash"):
            root([bad])
    assert tree.size == 10
    assert tree.consistency_proof(0, 0) == tree.consistency_proof(10, 10) == []


def test_tree_keeps_its_own_copy_of_the_leaves() -> None:
    leaves = list(REF_LEAVES[:5])
    tree = MerkleTree(leaves)
    leaves.append(REF_LEAVES[5])
    leaves[0] = OTHER_HASH
    assert tree.size == 5
    assert tree.root() == ref_mth(0, 5)


# ---------------------------------------------------------------------------------------------------------
# Properties over a bigger tree than the exhaustive checks cover.

HYP_SIZE = 3000
HYP_LEAVES = [leaf_hash(b"property entry %d" % i) for i in range(HYP_SIZE)]
HYP_TREE = MerkleTree(HYP_LEAVES)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_generated_inclusion_proofs_verify(data: st.DataObject) -> None:
    size = data.draw(st.integers(min_value=1, max_value=HYP_SIZE), label="size")
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    proof = HYP_TREE.inclusion_proof(index, size)
    tree_root = HYP_TREE.root(size)
    assert verify_inclusion(HYP_LEAVES[index], index, size, proof, tree_root)
    assert len(proof) <= (size - 1).bit_length()
    assert MerkleTree(HYP_LEAVES[:size]).inclusion_proof(index, size) == proof
    other = (index + 1) % size
    if other != index:
        assert not verify_inclusion(HYP_LEAVES[other], index, size, proof, tree_root)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_generated_consistency_proofs_verify(data: st.DataObject) -> None:
    new_size = data.draw(st.integers(min_value=1, max_value=HYP_SIZE), label="new_size")
    old_size = data.draw(st.integers(min_value=0, max_value=new_size), label="old_size")
    proof = HYP_TREE.consistency_proof(old_size, new_size)
    old_root, new_root = HYP_TREE.root(old_size), HYP_TREE.root(new_size)
    assert verify_consistency(old_size, new_size, old_root, new_root, proof)
    assert MerkleTree(HYP_LEAVES[:new_size]).consistency_proof(old_size, new_size) == proof
    if 0 < old_size < new_size:
        assert not verify_consistency(old_size, new_size, old_root, OTHER_HASH, proof)
        assert not verify_consistency(old_size, new_size, OTHER_HASH, new_root, proof)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=700), st.data())
def test_appending_matches_building_at_once(size: int, data: st.DataObject) -> None:
    start = data.draw(st.integers(min_value=0, max_value=size), label="built with")
    tree = MerkleTree(HYP_LEAVES[:start])
    for i in range(start, size):
        assert tree.append(HYP_LEAVES[i]) == i
        assert tree.root() == HYP_TREE.root(i + 1)
    built = MerkleTree(HYP_LEAVES[:size])
    assert tree.levels == built.levels
    assert tree.root() == built.root() == root(HYP_LEAVES[:size])
