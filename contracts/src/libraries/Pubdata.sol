// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @notice Operation encodings of docs/protocol.md §4 and the element split of §6.
library Pubdata {
    uint8 internal constant NOOP = 0x00;
    uint8 internal constant DEPOSIT = 0x01;
    uint8 internal constant CHANGE_PUBKEY = 0x02;
    uint8 internal constant TRANSFER = 0x03;
    uint8 internal constant TRANSFER_TO_NEW = 0x04;
    uint8 internal constant WITHDRAW = 0x05;
    uint8 internal constant FULL_EXIT = 0x06;
    uint8 internal constant SWAP = 0x07;
    uint8 internal constant ADD_LIQUIDITY = 0x08;
    uint8 internal constant REMOVE_LIQUIDITY = 0x09;
    uint8 internal constant CREATE_POOL = 0x0a;

    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    error UnknownOpType(uint256 offset, uint8 opType);
    error TruncatedPubdata(uint256 offset);
    error PubkeyHashNotInField(uint256 offset);

    /// @notice Pubdata bytes of an operation type (0 for unknown or Noop, which never appears).
    function opLength(uint8 opType) internal pure returns (uint256) {
        if (opType == TRANSFER) return 15;
        if (opType == TRANSFER_TO_NEW) return 35;
        if (opType == DEPOSIT || opType == FULL_EXIT) return 41;
        if (opType == WITHDRAW) return 43;
        if (opType == CHANGE_PUBKEY) return 63;
        // DEX operations (§4.9-§4.12): one element each, no effect on L1 outside exodus
        if (opType == SWAP) return 12;
        if (opType == ADD_LIQUIDITY) return 17;
        if (opType == REMOVE_LIQUIDITY) return 23;
        if (opType == CREATE_POOL) return 9;
        return 0;
    }

    /// @notice Byte `t` is the length of operation type `t` if it is one element that L1 only
    /// hashes (no priority queue entry, no payout, no signature): Transfer and the DEX
    /// operations. 0 for every other type.
    /// Transfer 15 (byte 3), Swap 12 (byte 7), AddLiquidity 17 (byte 8), RemoveLiquidity 23
    /// (byte 9), CreatePool 9 (byte 10). A literal: legacy codegen recomputes a constant
    /// expression, with overflow checks, at every use (a forge test checks it against `opLength`).
    uint256 internal constant PLAIN_OP_LENGTHS = 0x0917110c0000000f000000;

    /// @notice The length of `opType` if it is plain (see `PLAIN_OP_LENGTHS`), else 0.
    function plainLength(uint256 opType) internal pure returns (uint256) {
        return (PLAIN_OP_LENGTHS >> (opType << 3)) & 0xff;
    }

    /// @notice The `n` (<= 31) bytes at `offset` of `data`, right-padded to 31 bytes, as an integer.
    function piece(bytes calldata data, uint256 offset, uint256 n) internal pure returns (uint256 v) {
        assembly {
            v := calldataload(add(data.offset, offset))
        }
        // keep the top n bytes of the word, then move them into the top of 31 bytes
        v = (v >> (8 * (32 - n))) << (8 * (31 - n));
    }

    /// @notice `n` bytes at `offset` as a big-endian integer (n <= 32).
    function readUint(bytes calldata data, uint256 offset, uint256 n) internal pure returns (uint256 v) {
        assembly {
            v := calldataload(add(data.offset, offset))
        }
        v = v >> (8 * (32 - n));
    }

    function readAddress(bytes calldata data, uint256 offset) internal pure returns (address) {
        return address(uint160(readUint(data, offset, 20)));
    }
}
