// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Test, Vm} from "./utils/Test.sol";
import {ZkrBatchVerifier} from "../src/ZkrBatchVerifier.sol";
import {ZkrDexVerifier} from "../src/ZkrDexVerifier.sol";
import {ZkrRollup} from "../src/ZkrRollup.sol";
import {IZkrVerifier} from "../src/interfaces/IZkrVerifier.sol";
import {IPoseidon4, IPoseidon6} from "../src/interfaces/IPoseidon.sol";
import {Fixture} from "./utils/Fixture.sol";
import {KeyAuth} from "./utils/KeyAuth.sol";

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
    /// Priority fees paid in, and refunded in exodus.
    uint256 public ghostFeesPaid;
    uint256 public ghostFeesRefunded;
    uint256 public ghostFeesEarned;
    /// Requests whose deadline came less than PRIORITY_OP_SPACING after that of the waiting
    /// request before them, or sooner than priorityDeadline from their request.
    uint256 public deadlineViolations;
    /// What executed batches paid out of L2 (withdrawals and full exits).
    uint256 public ghostExecutedPayouts;
    uint64 public ghostMaxExecuted;
    uint256 public successfulExits;
    uint256 public successfulRefundsOfIndex0;
    bool public batchDone;
    /// Key changes L1 accepted with the named owner's own well-formed signature, and without.
    uint256 public authorizedKeyChanges;
    uint256 public unauthorizedKeyChanges;

    constructor(ZkrRollup rollup_, string memory json_, address alice_, address bob_) {
        rollup = rollup_;
        json = json_;
        alice = alice_;
        bob = bob_;
        users = [alice_, bob_, address(0xCAFE)];
    }

    function deposit(uint8 who, uint64 amount) external {
        uint128 fee = rollup.priorityFee();
        if (rollup.exodusMode() || amount < fee) return;
        address u = users[who % 3];
        vm.deal(u, uint256(amount) + fee);
        vm.prank(u);
        rollup.depositETH{value: uint256(amount) + fee}(u);
        ghostDeposited += amount;
        ghostFeesPaid += fee;
        _checkDeadline();
    }

    function _checkDeadline() internal {
        uint64 index = rollup.totalPriorityOps() - 1;
        (, uint64 expiresAt,,) = rollup.priorityOps(index);
        if (index > rollup.firstUnexecutedPriorityOp()) {
            (, uint64 previous,,) = rollup.priorityOps(index - 1);
            if (expiresAt < previous + rollup.PRIORITY_OP_SPACING()) deadlineViolations++;
        }
        if (expiresAt < block.timestamp + rollup.priorityDeadline()) deadlineViolations++;
    }

    function requestExit(uint8 who, uint32 accountId) external {
        if (rollup.exodusMode()) return;
        uint128 fee = rollup.priorityFee();
        vm.deal(users[who % 3], fee);
        vm.prank(users[who % 3]);
        rollup.requestFullExit{value: fee}(accountId % 4, address(0));
        ghostFeesPaid += fee;
        _checkDeadline();
    }

    /// In exodus, the fee of an operation no batch executed goes back to its payer.
    function refundFee(uint64 index) external {
        index = index % (rollup.totalPriorityOps() + 1);
        try rollup.refundPriorityFee(index) {
            ghostFeesRefunded += rollup.priorityFee();
        } catch {}
    }

    /// The fixture's batch, if the queue is still empty (its priority ops must come first).
    function realBatch() external {
        if (batchDone || rollup.exodusMode() || rollup.totalPriorityOps() != 0) return;
        uint128 fee = rollup.priorityFee();
        vm.deal(alice, 1 ether + fee);
        vm.deal(bob, 0.5 ether + 2 * fee);
        vm.prank(alice);
        rollup.depositETH{value: 1 ether + fee}(alice);
        vm.prank(bob);
        rollup.depositETH{value: 0.5 ether + fee}(bob);
        vm.prank(bob);
        rollup.requestFullExit{value: fee}(1, address(0));
        ghostDeposited += 1.5 ether;
        ghostFeesPaid += 3 * fee;
        _checkDeadline();
        vm.prank(rollup.operator());
        rollup.commitBatch(Fixture.commitInput(json));
        (uint256[2] memory pa, uint256[2][2] memory pb, uint256[2] memory pc) = Fixture.proof(json);
        rollup.proveBatch(1, pa, pb, pc);
        ZkrRollup.OnchainOp[] memory ops = Fixture.onchainOps(json);
        rollup.executeBatch(1, ops);
        ghostCredited += ops[0].amount + ops[1].amount;
        ghostExecutedPayouts += ops[0].amount + ops[1].amount;
        ghostFeesEarned += 3 * fee;
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

    /// The operator commits a key change for `accountId` naming an owner (one of three keys'
    /// addresses or address(0)) with a signature by one of three keys, possibly mangled. Only a
    /// well-formed signature of the named, non-zero owner may be accepted; the batch is then
    /// reverted (it is never proven).
    function commitKeyChange(uint8 ownerSel, uint8 signerSel, uint8 mangle, uint32 accountId, bytes32 pkh)
        external
    {
        if (rollup.exodusMode()) return;
        accountId %= 1 << 24;
        pkh = bytes32(uint256(pkh) % (1 << 253));
        uint256[3] memory keys = [uint256(0xA11CE), 0xB0B, 0xBAD];
        address owner = ownerSel % 4 == 3 ? address(0) : vm.addr(keys[ownerSel % 4]);
        uint256 signer = keys[signerSel % 3];
        bytes memory sig = KeyAuth.sign(rollup, signer, pkh, 0, accountId);
        mangle %= 6;
        if (mangle == 1) {
            sig[64] = bytes1(uint8(sig[64]) - 27); // v in {0, 1}: the same signature
        } else if (mangle == 2) {
            sig[64] = bytes1(uint8(sig[64]) ^ 3); // v in {24, 31}: malformed
        } else if (mangle == 3) {
            assembly {
                mstore(sig, 64) // truncated
            }
        } else if (mangle == 4) {
            sig = "";
        } else if (mangle == 5) {
            sig[40] ^= 0x01; // another s
        }
        bool wellFormed = mangle <= 1;
        uint64 before = rollup.totalBatchesCommitted();
        vm.prank(rollup.operator());
        try rollup.commitBatch(KeyAuth.batch(owner, pkh, 0, accountId, sig)) {
            if (owner != address(0) && vm.addr(signer) == owner && wellFormed) {
                authorizedKeyChanges++;
            } else {
                unauthorizedKeyChanges++;
            }
            vm.prank(rollup.operator());
            rollup.revertBatches(before);
        } catch {}
    }

    function passTime(uint32 secs) external {
        vm.warp(block.timestamp + secs);
    }

    function activate() external {
        try rollup.activateExodusMode() {} catch {}
    }

    function exitAlice() external {
        ZkrRollup.ExitProof memory p = Fixture.exitProof(json);
        try rollup.exit(p) {
            successfulExits++;
            ghostCredited += p.balance;
        } catch {}
    }

    function refund(uint64 index) external {
        index = index % (rollup.totalPriorityOps() + 1);
        (,, uint8 opType,) = rollup.priorityOps(index);
        (,, uint128 amount) = rollup.depositRecords(index);
        try rollup.refundDeposit(index) {
            ghostCredited += amount;
            if (index == 0) successfulRefundsOfIndex0++;
            require(opType == 1, "refunded a non-deposit");
        } catch {}
    }
}

contract ZkrRollupInvariantTest is Test {
    uint128 internal constant FEE = 0.001 ether;
    ZkrRollup internal rollup;
    Handler internal handler;

    function setUp() public {
        string memory json = vm.readFile("test/fixtures/batch_proof.json");
        IPoseidon4 p4 = IPoseidon4(deployHex("poseidon/PoseidonT5.hex"));
        IPoseidon6 p6 = IPoseidon6(deployHex("poseidon/PoseidonT7.hex"));
        ZkrBatchVerifier verifier = new ZkrBatchVerifier();
        rollup = new ZkrRollup(
            IZkrVerifier(address(verifier)),
            IZkrVerifier(address(new ZkrDexVerifier())),
            p4,
            p6,
            address(0x0BE),
            uint32(vm.parseJsonUint(json, ".zkrChainId")),
            1 days,
            FEE,
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
        assertEq(
            held, handler.ghostDeposited() + handler.ghostFeesPaid() - handler.ghostPaid(), "ETH in = deposits + fees - payouts"
        );
        assertTrue(handler.ghostCredited() <= handler.ghostDeposited(), "never credits more than was deposited");
        assertEq(
            rollup.totalPending(0),
            handler.ghostCredited() + handler.ghostFeesEarned() + handler.ghostFeesRefunded() - handler.ghostPaid(),
            "pending = credited + fees earned or refunded - paid"
        );
        assertTrue(rollup.totalPending(0) <= held, "pending is covered");
    }

    /// Every priority fee is earned by the operator (its batch executed) or refunded (exodus),
    /// never both, never more than was paid; and deadlines never pile up.
    function invariant_priorityFeesAndDeadlines() public view {
        assertTrue(
            handler.ghostFeesEarned() + handler.ghostFeesRefunded() <= handler.ghostFeesPaid(), "fees out <= fees in"
        );
        assertEq(handler.deadlineViolations(), 0, "a deadline closer than PRIORITY_OP_SPACING to the previous one");
    }

    /// The deposit cap holds exactly what was deposited minus what executed batches paid out.
    function invariant_depositCapTracksWhatL2Holds() public view {
        assertEq(
            rollup.totalDeposited(0),
            handler.ghostDeposited() - handler.ghostExecutedPayouts(),
            "cap = deposits - executed payouts"
        );
        assertTrue(rollup.totalDeposited(0) <= type(uint128).max, "within the cap");
    }

    /// No batch is executed unproven or proven uncommitted; executed batches are never reverted.
    function invariant_batchOrder() public view {
        assertTrue(rollup.totalBatchesExecuted() <= rollup.totalBatchesProven(), "executed <= proven");
        assertTrue(rollup.totalBatchesProven() <= rollup.totalBatchesCommitted(), "proven <= committed");
        assertTrue(rollup.totalBatchesExecuted() >= handler.ghostMaxExecuted(), "execution never undone");
    }

    /// No account's L2 key changes on L1 without an Ethereum signature of its (non-zero) owner.
    function invariant_keyChangesOnlyByTheirOwner() public view {
        assertEq(handler.unauthorizedKeyChanges(), 0, "a key change L1 accepted without its owner's signature");
    }

    /// Exodus exits and refunds happen at most once.
    function invariant_noDoubleExitOrRefund() public view {
        assertTrue(handler.successfulExits() <= 1, "one exit per account and token");
        assertTrue(handler.successfulRefundsOfIndex0() <= 1, "one refund per deposit");
    }
}
