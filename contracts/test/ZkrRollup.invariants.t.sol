// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Test, Vm} from "./utils/Test.sol";
import {ZkrBatchVerifier} from "../src/ZkrBatchVerifier.sol";
import {ZkrRollup} from "../src/ZkrRollup.sol";
import {IZkrVerifier} from "../src/interfaces/IZkrVerifier.sol";
import {IPoseidon4, IPoseidon6} from "../src/interfaces/IPoseidon.sol";

/// @notice Drives the rollup with random sequences of user actions, the real proven batch of
/// the fixture (when the queue allows it), time, exodus, exits and refunds, and keeps ghost
/// totals of what went in and out.
contract Handler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    ZkrRollup public rollup;
    string internal json;
    address internal alice;
    address internal bob;
    address[3] internal users;

    uint256 public ghostDeposited;
    uint256 public ghostCredited;
    uint256 public ghostPaid;
    uint64 public ghostMaxExecuted;
    uint256 public successfulExits;
    uint256 public successfulRefundsOfIndex0;
    bool public batchDone;

    constructor(ZkrRollup rollup_, string memory json_, address alice_, address bob_) {
        rollup = rollup_;
        json = json_;
        alice = alice_;
        bob = bob_;
        users = [alice_, bob_, address(0xCAFE)];
    }

    function deposit(uint8 who, uint64 amount) external {
        if (rollup.exodusMode() || amount == 0) return;
        address u = users[who % 3];
        vm.deal(u, uint256(amount));
        vm.prank(u);
        rollup.depositETH{value: amount}(u);
        ghostDeposited += amount;
    }

    function requestExit(uint8 who, uint32 accountId) external {
        if (rollup.exodusMode()) return;
        vm.prank(users[who % 3]);
        rollup.requestFullExit(accountId % 4, address(0));
    }

    /// The fixture's batch, if the queue is still empty (its priority ops must come first).
    function realBatch() external {
        if (batchDone || rollup.exodusMode() || rollup.totalPriorityOps() != 0) return;
        vm.deal(alice, 1 ether);
        vm.deal(bob, 0.5 ether);
        vm.prank(alice);
        rollup.depositETH{value: 1 ether}(alice);
        vm.prank(bob);
        rollup.depositETH{value: 0.5 ether}(bob);
        vm.prank(bob);
        rollup.requestFullExit(1, address(0));
        ghostDeposited += 1.5 ether;
        ZkrRollup.CommitBatchInput memory b;
        b.newRoot = vm.parseJsonUint(json, ".newRoot");
        b.pubdataHash = vm.parseJsonUint(json, ".pubdataHash");
        b.feeAccount = uint32(vm.parseJsonUint(json, ".feeAccount"));
        b.pubdata = vm.parseJsonBytes(json, ".pubdata");
        b.ethSignatures = vm.parseJsonBytesArray(json, ".ethSignatures");
        vm.prank(rollup.operator());
        rollup.commitBatch(b);
        uint256[] memory pa = vm.parseJsonUintArray(json, ".a");
        uint256[] memory b0 = vm.parseJsonUintArray(json, ".b[0]");
        uint256[] memory b1 = vm.parseJsonUintArray(json, ".b[1]");
        uint256[] memory pc = vm.parseJsonUintArray(json, ".c");
        rollup.proveBatch(1, [pa[0], pa[1]], [[b0[0], b0[1]], [b1[0], b1[1]]], [pc[0], pc[1]]);
        ZkrRollup.OnchainOp[] memory ops = new ZkrRollup.OnchainOp[](2);
        ops[0] = ZkrRollup.OnchainOp(alice, 0, uint128(vm.parseJsonUint(json, ".onchainOps[0].amount")));
        ops[1] = ZkrRollup.OnchainOp(bob, 0, uint128(vm.parseJsonUint(json, ".onchainOps[1].amount")));
        rollup.executeBatch(1, ops);
        ghostCredited += ops[0].amount + ops[1].amount;
        batchDone = true;
        if (rollup.totalBatchesExecuted() > ghostMaxExecuted) ghostMaxExecuted = rollup.totalBatchesExecuted();
    }

    function tryRevert() external {
        if (rollup.exodusMode()) return;
        vm.prank(rollup.operator());
        try rollup.revertBatches(0) {} catch {}
    }

    function withdraw(uint8 who, uint128 amount) external {
        address u = users[who % 3];
        uint128 pending = rollup.getPendingBalance(u, address(0));
        if (pending == 0) return;
        amount = amount % pending + 1;
        rollup.withdrawPendingBalance(payable(u), address(0), amount);
        ghostPaid += amount;
    }

    function withdrawTwice(uint8 who) external {
        address u = users[who % 3];
        uint128 pending = rollup.getPendingBalance(u, address(0));
        if (pending == 0) return;
        rollup.withdrawPendingBalance(payable(u), address(0), pending);
        ghostPaid += pending;
        try rollup.withdrawPendingBalance(payable(u), address(0), pending) {
            ghostPaid += pending;
        } catch {}
    }

    function passTime(uint32 secs) external {
        vm.warp(block.timestamp + secs);
    }

    function activate() external {
        try rollup.activateExodusMode() {} catch {}
    }

    function exitAlice() external {
        ZkrRollup.ExitProof memory p;
        p.accountId = uint32(vm.parseJsonUint(json, ".exitProof.accountId"));
        p.owner = vm.parseJsonAddress(json, ".exitProof.owner");
        p.pubkeyHash = vm.parseJsonUint(json, ".exitProof.pubkeyHash");
        p.nonce = uint32(vm.parseJsonUint(json, ".exitProof.nonce"));
        p.token = uint16(vm.parseJsonUint(json, ".exitProof.token"));
        p.balance = uint128(vm.parseJsonUint(json, ".exitProof.balance"));
        string[4] memory bl = ["0", "1", "2", "3"];
        for (uint256 l = 0; l < 4; l++) {
            uint256[] memory s = vm.parseJsonUintArray(json, string.concat(".exitProof.balancePath[", bl[l], "]"));
            p.balancePath[l] = [s[0], s[1], s[2]];
        }
        string[12] memory al = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"];
        for (uint256 l = 0; l < 12; l++) {
            uint256[] memory s = vm.parseJsonUintArray(json, string.concat(".exitProof.accountPath[", al[l], "]"));
            p.accountPath[l] = [s[0], s[1], s[2]];
        }
        try rollup.exit(p) {
            successfulExits++;
            ghostCredited += p.balance;
        } catch {}
    }

    function refund(uint64 index) external {
        index = index % (rollup.totalPriorityOps() + 1);
        (,, uint8 opType) = rollup.priorityOps(index);
        (,, uint128 amount) = rollup.depositRecords(index);
        try rollup.refundDeposit(index) {
            ghostCredited += amount;
            if (index == 0) successfulRefundsOfIndex0++;
            require(opType == 1, "refunded a non-deposit");
        } catch {}
    }
}

contract ZkrRollupInvariantTest is Test {
    ZkrRollup internal rollup;
    Handler internal handler;

    function setUp() public {
        string memory json = vm.readFile("test/fixtures/batch_proof.json");
        IPoseidon4 p4 = IPoseidon4(deployHex("poseidon/PoseidonT5.hex"));
        IPoseidon6 p6 = IPoseidon6(deployHex("poseidon/PoseidonT7.hex"));
        ZkrBatchVerifier verifier = new ZkrBatchVerifier();
        rollup = new ZkrRollup(
            IZkrVerifier(address(verifier)),
            p4,
            p6,
            address(0x0BE),
            uint32(vm.parseJsonUint(json, ".zkrChainId")),
            1 days,
            vm.parseJsonUint(json, ".oldRoot")
        );
        handler = new Handler(rollup, json, vm.parseJsonAddress(json, ".users[0]"), vm.parseJsonAddress(json, ".users[1]"));
        // Every run starts after the real proven batch, so exodus exits against its root are reachable.
        handler.realBatch();
        targetContract(address(handler));
    }

    /// The contract's ETH always covers what it owes: pending balances plus what L2 holds.
    function invariant_balanceCoversPendingAndL2() public view {
        uint256 held = address(rollup).balance;
        assertEq(held, handler.ghostDeposited() - handler.ghostPaid(), "ETH in = deposits - payouts");
        assertTrue(handler.ghostCredited() <= handler.ghostDeposited(), "never credits more than was deposited");
        assertEq(rollup.totalPending(0), handler.ghostCredited() - handler.ghostPaid(), "pending = credited - paid");
        assertTrue(rollup.totalPending(0) <= held, "pending is covered");
    }

    /// No batch is executed unproven or proven uncommitted; executed batches are never reverted.
    function invariant_batchOrder() public view {
        assertTrue(rollup.totalBatchesExecuted() <= rollup.totalBatchesProven(), "executed <= proven");
        assertTrue(rollup.totalBatchesProven() <= rollup.totalBatchesCommitted(), "proven <= committed");
        assertTrue(rollup.totalBatchesExecuted() >= handler.ghostMaxExecuted(), "execution never undone");
    }

    /// Exodus exits and refunds happen at most once.
    function invariant_noDoubleExitOrRefund() public view {
        assertTrue(handler.successfulExits() <= 1, "one exit per account and token");
        assertTrue(handler.successfulRefundsOfIndex0() <= 1, "one refund per deposit");
    }
}
