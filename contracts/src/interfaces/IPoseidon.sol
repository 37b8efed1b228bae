// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @notice circomlib's Poseidon of 4 inputs (bytecode: contracts/poseidon/PoseidonT5.hex).
interface IPoseidon4 {
    function poseidon(uint256[4] calldata inputs) external pure returns (uint256);
}

/// @notice circomlib's Poseidon of 6 inputs (bytecode: contracts/poseidon/PoseidonT7.hex).
interface IPoseidon6 {
    function poseidon(uint256[6] calldata inputs) external pure returns (uint256);
}
