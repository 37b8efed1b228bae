// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {KeyAuth} from "./utils/KeyAuth.sol";
import {ZkrBatchVerifier} from "../src/ZkrBatchVerifier.sol";
import {ZkrDexVerifier} from "../src/ZkrDexVerifier.sol";
import {ZkrRollup} from "../src/ZkrRollup.sol";
import {IZkrVerifier} from "../src/interfaces/IZkrVerifier.sol";
import {IPoseidon4, IPoseidon6} from "../src/interfaces/IPoseidon.sol";

/// @notice Key registrations (ChangePubKey) are committed only with an EIP-712 signature that
/// recovers to the owner named in the pubdata, and never for owner address(0) (issue 10: an
/// operator registering its own key on an empty leaf, whose owner is 0, with an empty signature).
contract ZkrRollupKeyAuthorizationTest is Test {
    ZkrRollup internal rollup;
    uint256 internal constant ALICE_KEY = 0xA11CE;
    uint256 internal constant MALLORY_KEY = 0xBAD;
    address internal alice;
    bytes32 internal constant PKH = bytes32(uint256(0x1234567890abcdef));
    uint32 internal constant ACCOUNT = 7;
    /// The offset of the only operation, as InvalidEthSignature reports it.
    uint256 internal constant OFF = 0;

    function setUp() public {
        rollup = new ZkrRollup(
            IZkrVerifier(address(new ZkrBatchVerifier())),
            IZkrVerifier(address(new ZkrDexVerifier())),
            IPoseidon4(deployHex("poseidon/PoseidonT5.hex")),
            IPoseidon6(deployHex("poseidon/PoseidonT7.hex")),
            address(this),
            270,
            1 days,
            0,
            2085863352650296154416834486414885723450625110950859991172633032032759168625
        );
        alice = vm.addr(ALICE_KEY);
    }

    function _rejects(address owner, bytes memory sig) internal {
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.InvalidEthSignature.selector, OFF));
        rollup.commitBatch(KeyAuth.batch(owner, PKH, 0, ACCOUNT, sig));
    }

    function _aliceSig() internal view returns (bytes memory) {
        return KeyAuth.sign(rollup, ALICE_KEY, PKH, 0, ACCOUNT);
    }

    function test_theOwnersSignatureIsAccepted() public {
        rollup.commitBatch(KeyAuth.batch(alice, PKH, 0, ACCOUNT, _aliceSig()));
        assertEq(rollup.totalBatchesCommitted(), 1, "committed");
        // v given as 0/1 instead of 27/28 is the same signature.
        bytes memory sig = _aliceSig();
        sig[64] = bytes1(uint8(sig[64]) - 27);
        rollup.commitBatch(KeyAuth.batch(alice, PKH, 0, ACCOUNT, sig));
        assertEq(rollup.totalBatchesCommitted(), 2, "committed with v in {0, 1}");
    }

    /// The attack of issue 10: owner 0 with an empty (or any malformed) signature.
    function test_ownerZeroIsNeverAuthorized() public {
        _rejects(address(0), "");
        _rejects(address(0), new bytes(65));
        bytes memory garbage = abi.encodePacked(bytes32(uint256(1)), bytes32(uint256(2)), uint8(30));
        _rejects(address(0), garbage);
        // Not even a real signature: no key signs for address(0).
        _rejects(address(0), KeyAuth.sign(rollup, MALLORY_KEY, PKH, 0, ACCOUNT));
    }

    function test_malformedSignaturesAreRejected() public {
        bytes memory good = _aliceSig();
        // short: 64 bytes (EIP-2098 compact form is not accepted) and empty
        bytes memory short = new bytes(64);
        for (uint256 i = 0; i < 64; i++) {
            short[i] = good[i];
        }
        _rejects(alice, short);
        _rejects(alice, "");
        // long: 66 bytes
        _rejects(alice, abi.encodePacked(good, uint8(0)));
        // high s: (r, n - s, v ^ 1) recovers the same signer but is malleable
        (bytes32 r, bytes32 s, uint8 v) = _split(good);
        _rejects(alice, abi.encodePacked(r, bytes32(KeyAuth.N - uint256(s)), v == 27 ? uint8(28) : uint8(27)));
        // wrong v: the other parity recovers someone else; other values are malformed
        _rejects(alice, abi.encodePacked(r, s, v == 27 ? uint8(28) : uint8(27)));
        _rejects(alice, abi.encodePacked(r, s, uint8(2)));
        _rejects(alice, abi.encodePacked(r, s, uint8(26)));
        _rejects(alice, abi.encodePacked(r, s, v + 2));
        _rejects(alice, abi.encodePacked(r, s, uint8(255)));
        // zero r or s
        _rejects(alice, abi.encodePacked(bytes32(0), s, v));
        _rejects(alice, abi.encodePacked(r, bytes32(0), v));
    }

    function test_anotherSignerOrAnotherMessageIsRejected() public {
        _rejects(alice, KeyAuth.sign(rollup, MALLORY_KEY, PKH, 0, ACCOUNT));
        // Alice's signature for another key, nonce or account.
        _rejects(alice, KeyAuth.sign(rollup, ALICE_KEY, bytes32(uint256(PKH) + 1), 0, ACCOUNT));
        _rejects(alice, KeyAuth.sign(rollup, ALICE_KEY, PKH, 1, ACCOUNT));
        _rejects(alice, KeyAuth.sign(rollup, ALICE_KEY, PKH, 0, ACCOUNT + 1));
    }

    /// After a chain fork the domain separator follows `block.chainid`: an authorization signed
    /// on one fork does not replay on the other.
    function test_theDomainFollowsTheChainId() public {
        bytes32 before = rollup.DOMAIN_SEPARATOR();
        bytes memory sig = _aliceSig();
        vm.chainId(block.chainid + 1);
        assertTrue(rollup.DOMAIN_SEPARATOR() != before, "another domain on another chain");
        _rejects(alice, sig);
        rollup.commitBatch(KeyAuth.batch(alice, PKH, 0, ACCOUNT, _aliceSig()));
    }

    function _split(bytes memory sig) internal pure returns (bytes32 r, bytes32 s, uint8 v) {
        assembly {
            r := mload(add(sig, 32))
            s := mload(add(sig, 64))
            v := byte(0, mload(add(sig, 96)))
        }
    }
}
