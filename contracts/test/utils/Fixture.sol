// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Vm} from "./Test.sol";
import {ZkrRollup} from "../../src/ZkrRollup.sol";

/// @notice Reads test/fixtures/batch_proof.json (made by `zkr circuit export-proof-fixture`).
library Fixture {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function proof(string memory json)
        internal
        pure
        returns (uint256[2] memory a, uint256[2][2] memory b, uint256[2] memory c)
    {
        uint256[] memory pa = vm.parseJsonUintArray(json, ".a");
        uint256[] memory b0 = vm.parseJsonUintArray(json, ".b[0]");
        uint256[] memory b1 = vm.parseJsonUintArray(json, ".b[1]");
        uint256[] memory pc = vm.parseJsonUintArray(json, ".c");
        a = [pa[0], pa[1]];
        b = [[b0[0], b0[1]], [b1[0], b1[1]]];
        c = [pc[0], pc[1]];
    }

    function commitInput(string memory json) internal pure returns (ZkrRollup.CommitBatchInput memory b) {
        b.newRoot = vm.parseJsonUint(json, ".newRoot");
        b.pubdataHash = vm.parseJsonUint(json, ".pubdataHash");
        b.feeAccount = uint32(vm.parseJsonUint(json, ".feeAccount"));
        b.pubdata = vm.parseJsonBytes(json, ".pubdata");
        b.ethSignatures = vm.parseJsonBytesArray(json, ".ethSignatures");
    }

    function onchainOps(string memory json) internal pure returns (ZkrRollup.OnchainOp[] memory ops) {
        ops = new ZkrRollup.OnchainOp[](2);
        for (uint256 i = 0; i < 2; i++) {
            string memory key = string.concat(".onchainOps[", i == 0 ? "0" : "1", "]");
            ops[i] = ZkrRollup.OnchainOp(
                vm.parseJsonAddress(json, string.concat(key, ".owner")),
                uint16(vm.parseJsonUint(json, string.concat(key, ".token"))),
                uint128(vm.parseJsonUint(json, string.concat(key, ".amount")))
            );
        }
    }

    function exitProof(string memory json) internal pure returns (ZkrRollup.ExitProof memory) {
        return exitProofAt(json, ".exitProof");
    }

    /// The exit proof (leaf, balance and paths) under `key` of `json`.
    function exitProofAt(string memory json, string memory key) internal pure returns (ZkrRollup.ExitProof memory p) {
        p.accountId = uint32(vm.parseJsonUint(json, string.concat(key, ".accountId")));
        p.owner = vm.parseJsonAddress(json, string.concat(key, ".owner"));
        p.pubkeyHash = vm.parseJsonUint(json, string.concat(key, ".pubkeyHash"));
        p.nonce = uint32(vm.parseJsonUint(json, string.concat(key, ".nonce")));
        p.token = uint16(vm.parseJsonUint(json, string.concat(key, ".token")));
        p.balance = uint128(vm.parseJsonUint(json, string.concat(key, ".balance")));
        p.balancePath = balancePath(json, string.concat(key, ".balancePath"));
        p.accountPath = accountPath(json, string.concat(key, ".accountPath"));
    }

    /// Siblings of a balance path (4 levels, root level first) under `key`.
    function balancePath(string memory json, string memory key) internal pure returns (uint256[3][4] memory path) {
        for (uint256 l = 0; l < 4; l++) {
            uint256[] memory s = vm.parseJsonUintArray(json, string.concat(key, "[", _str(l), "]"));
            path[l] = [s[0], s[1], s[2]];
        }
    }

    /// Siblings of an account path (12 levels, root level first) under `key`.
    function accountPath(string memory json, string memory key) internal pure returns (uint256[3][12] memory path) {
        for (uint256 l = 0; l < 12; l++) {
            uint256[] memory s = vm.parseJsonUintArray(json, string.concat(key, "[", _str(l), "]"));
            path[l] = [s[0], s[1], s[2]];
        }
    }

    function _str(uint256 v) private pure returns (string memory) {
        if (v < 10) return string(abi.encodePacked(bytes1(uint8(48 + v))));
        return string(abi.encodePacked(bytes1(uint8(48 + v / 10)), bytes1(uint8(48 + v % 10))));
    }
}
