// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {ZkrBatchVerifier} from "../src/ZkrBatchVerifier.sol";
import {Fixture} from "./utils/Fixture.sol";

/// @notice The generated verifier against a real proof of a real batch made by our prover.
/// Regenerate both with:
///   zkr circuit export-verifier --slots 8 --out contracts/src/ZkrBatchVerifier.sol
///   zkr circuit export-proof-fixture --slots 8 --rollup 0xc7183455a4C133Ae270771860664b6B7ec320bB1 \
///       --out contracts/test/fixtures/batch_proof.json
contract ZkrBatchVerifierTest is Test {
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    ZkrBatchVerifier internal verifier;
    uint256[2] internal a;
    uint256[2][2] internal b;
    uint256[2] internal c;
    uint256 internal commitment;

    function setUp() public {
        verifier = new ZkrBatchVerifier();
        string memory json = vm.readFile("test/fixtures/batch_proof.json");
        (a, b, c) = Fixture.proof(json);
        commitment = vm.parseJsonUint(json, ".commitment");
        assertEq(vm.parseJsonUint(json, ".slots"), verifier.SLOTS(), "fixture and verifier have the same slots");
    }

    function test_verifiesARealProof() public view {
        assertTrue(verifier.verifyProof(a, b, c, [commitment]), "the real proof verifies");
    }

    function test_rejectsAProofOfAnotherCommitment() public view {
        assertFalse(verifier.verifyProof(a, b, c, [commitment + 1]), "another commitment");
        assertFalse(verifier.verifyProof(a, b, c, [commitment ^ (1 << 200)]), "another commitment");
    }

    function test_rejectsANonCanonicalCommitment() public view {
        assertFalse(verifier.verifyProof(a, b, c, [commitment + R]), "commitment + r");
    }

    /// One byte of the 256-byte proof (a, b, c as 8 words) changed: never verifies.
    function testFuzz_rejectsAProofWithOneByteChanged(uint8 pos, uint8 flip) public view {
        vm.assume(flip != 0);
        bytes memory proof = abi.encode(a, b, c);
        proof[pos] = bytes1(uint8(proof[pos]) ^ flip);
        (uint256[2] memory a2, uint256[2][2] memory b2, uint256[2] memory c2) =
            abi.decode(proof, (uint256[2], uint256[2][2], uint256[2]));
        assertFalse(verifier.verifyProof(a2, b2, c2, [commitment]), "a changed byte");
    }

    function test_rejectsSwappedProofElements() public view {
        assertFalse(verifier.verifyProof(c, b, a, [commitment]), "a and c swapped");
        uint256[2][2] memory bSwapped = [[b[0][1], b[0][0]], [b[1][1], b[1][0]]];
        assertFalse(verifier.verifyProof(a, bSwapped, c, [commitment]), "b's coordinates in the wrong order");
    }
}
