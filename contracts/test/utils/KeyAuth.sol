// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Vm} from "./Test.sol";
import {ZkrRollup} from "../../src/ZkrRollup.sol";
import {Pubdata} from "../../src/libraries/Pubdata.sol";

/// @notice Builds ChangePubKey commits (docs/protocol.md §4.3) and their EIP-712 authorizations.
library KeyAuth {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    bytes32 internal constant TYPEHASH = keccak256("ChangePubKey(bytes32 pubKeyHash,uint32 nonce,uint32 accountId)");
    /// @dev secp256k1 order: `n - s` is the high-s twin of a signature.
    uint256 internal constant N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    function digest(ZkrRollup rollup, bytes32 pkh, uint32 nonce, uint32 accountId) internal view returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(TYPEHASH, pkh, nonce, accountId));
        return keccak256(abi.encodePacked("\x19\x01", rollup.DOMAIN_SEPARATOR(), structHash));
    }

    /// @notice `r || s || v` by `key`.
    function sign(ZkrRollup rollup, uint256 key, bytes32 pkh, uint32 nonce, uint32 accountId)
        internal
        view
        returns (bytes memory)
    {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest(rollup, pkh, nonce, accountId));
        return abi.encodePacked(r, s, v);
    }

    /// @notice A batch whose only operation is a ChangePubKey of `accountId` named for `owner`.
    function batch(address owner, bytes32 pkh, uint32 nonce, uint32 accountId, bytes memory sig)
        internal
        pure
        returns (ZkrRollup.CommitBatchInput memory b)
    {
        // type(1) account(3) owner(20) nonce(4) feeToken(1) fee(2) pkh(32)
        b.pubdata = abi.encodePacked(Pubdata.CHANGE_PUBKEY, uint24(accountId), owner, nonce, uint8(0), uint16(0), pkh);
        b.newRoot = 1;
        b.ethSignatures = new bytes[](1);
        b.ethSignatures[0] = sig;
    }
}
