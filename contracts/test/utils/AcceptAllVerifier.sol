// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {IZkrVerifier} from "../../src/interfaces/IZkrVerifier.sol";

/// @notice BENCHMARKS ONLY: accepts every proof. `zkr bench rebuild` deploys the rollup with it
/// to put a thousand executed batches on anvil in seconds (a rebuild never reads proofs). It
/// says it is insecure, so the rollup's `insecureDevVerifier()` is true.
contract AcceptAllVerifier is IZkrVerifier {
    function INSECURE_DEV_SETUP() external pure returns (bool) {
        return true;
    }

    function verifyProof(uint256[2] calldata, uint256[2][2] calldata, uint256[2] calldata, uint256[1] calldata)
        external
        pure
        returns (bool)
    {
        return true;
    }
}
