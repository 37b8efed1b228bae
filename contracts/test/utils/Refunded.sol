// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Vm} from "./Test.sol";
import {TestToken} from "./TestToken.sol";
import {ZkrRollup} from "../../src/ZkrRollup.sol";

/// @notice A pending balance the way a user gets one without a proven batch: a deposit the
/// operator never processes, exodus, and its refund.
library Refunded {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// Registers a new TestToken (as `operator`), deposits `amount` of it for `holder` as
    /// priority operation 0, activates exodus and refunds it: `holder` has `amount` pending.
    function tokens(ZkrRollup rollup, address operator, address holder, uint128 amount)
        internal
        returns (TestToken token)
    {
        token = new TestToken();
        vm.prank(operator);
        rollup.registerToken(address(token));
        token.mint(holder, amount);
        uint128 fee = rollup.priorityFee();
        vm.deal(holder, fee);
        vm.startPrank(holder);
        token.approve(address(rollup), amount);
        rollup.depositERC20{value: fee}(address(token), amount, holder);
        vm.stopPrank();
        vm.warp(block.timestamp + rollup.priorityDeadline() + 1);
        rollup.activateExodusMode();
        rollup.refundDeposit(0);
    }
}
