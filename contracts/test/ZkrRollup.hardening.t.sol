// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {TestToken} from "./utils/TestToken.sol";
import {Refunded} from "./utils/Refunded.sol";
import {ZkrBatchVerifier} from "../src/ZkrBatchVerifier.sol";
import {ZkrDexVerifier} from "../src/ZkrDexVerifier.sol";
import {ZkrRollup} from "../src/ZkrRollup.sol";
import {IZkrVerifier} from "../src/interfaces/IZkrVerifier.sol";
import {IPoseidon4, IPoseidon6} from "../src/interfaces/IPoseidon.sol";

/// @notice Issue 11's attacks on the contract, each tried as the attacker would: priority-queue
/// spam, a deployer's genesis, an owner that cannot receive, a token whose balances shrink.
contract ZkrRollupHardeningTest is Test {
    ZkrRollup internal rollup;
    ZkrBatchVerifier internal verifier;
    ZkrDexVerifier internal dexVerifier;
    IPoseidon4 internal p4;
    IPoseidon6 internal p6;
    uint64 internal constant DEADLINE = 1 days;
    uint128 internal constant FEE = 0.001 ether;
    address internal constant OPERATOR = address(0x0BE);
    address internal alice = address(0xA11CE);
    address internal mallory = address(0xBAD);

    function setUp() public {
        p4 = IPoseidon4(deployHex("poseidon/PoseidonT5.hex"));
        p6 = IPoseidon6(deployHex("poseidon/PoseidonT7.hex"));
        verifier = new ZkrBatchVerifier();
        dexVerifier = new ZkrDexVerifier();
        rollup = _deploy(OPERATOR, FEE, _emptyRoot());
    }

    function _deploy(address operator, uint128 fee, uint256 genesis) internal returns (ZkrRollup) {
        return new ZkrRollup(IZkrVerifier(address(verifier)), IZkrVerifier(address(dexVerifier)), p4, p6, operator, 270, DEADLINE, fee, genesis);
    }

    /// The empty tree, computed here from Poseidon (the contract has it as constants).
    function _emptyRoot() internal view returns (uint256 root) {
        uint256[13] memory e = _emptySubtrees();
        return e[12];
    }

    /// Empty account subtrees by height (0: the empty leaf).
    function _emptySubtrees() internal view returns (uint256[13] memory e) {
        uint256 b = 0;
        for (uint256 i = 0; i < 4; i++) {
            b = p4.poseidon([b, b, b, b]);
        }
        e[0] = p4.poseidon([uint256(0), 0, 0, b]);
        for (uint256 i = 1; i < 13; i++) {
            e[i] = p4.poseidon([e[i - 1], e[i - 1], e[i - 1], e[i - 1]]);
        }
    }

    function _rootWithAccount0(address owner, uint256 pkh) internal view returns (uint256 node) {
        uint256[13] memory e = _emptySubtrees();
        uint256 b = 0;
        for (uint256 i = 0; i < 4; i++) {
            b = p4.poseidon([b, b, b, b]);
        }
        node = p4.poseidon([uint256(uint160(owner)), pkh, 0, b]);
        for (uint256 i = 0; i < 12; i++) {
            node = p4.poseidon([node, e[i], e[i], e[i]]);
        }
    }

    // ------------------------------------------------------------------ finding 1: queue spam

    /// A priority operation pays its fee, exactly: requests without it are refused.
    function test_priorityOps_payTheFee() public {
        TestToken token = new TestToken();
        vm.prank(OPERATOR);
        rollup.registerToken(address(token));
        token.mint(mallory, 1000);
        vm.deal(mallory, 1 ether);
        vm.startPrank(mallory);
        token.approve(address(rollup), 1000);
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.WrongPriorityFee.selector, FEE, 0));
        rollup.requestFullExit(1, address(0));
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.WrongPriorityFee.selector, FEE, FEE - 1));
        rollup.requestFullExit{value: FEE - 1}(1, address(0));
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.WrongPriorityFee.selector, FEE, FEE + 1));
        rollup.requestFullExit{value: FEE + 1}(1, address(0));
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.WrongPriorityFee.selector, FEE, 0));
        rollup.depositERC20(address(token), 1000, mallory);
        // the 1-wei deposit of the review: below the minimum (a deposit worth at least its fee)
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.DepositBelowMinimum.selector, 2 * FEE, FEE + 1));
        rollup.depositETH{value: FEE + 1}(mallory);
        assertEq(rollup.totalPriorityOps(), 0, "nothing queued");
        rollup.requestFullExit{value: FEE}(1, address(0));
        rollup.depositERC20{value: FEE}(address(token), 1000, mallory);
        rollup.depositETH{value: 2 * FEE}(mallory);
        vm.stopPrank();
        assertEq(rollup.totalPriorityOps(), 3, "three queued");
        assertEq(address(rollup).balance, 4 * FEE, "three fees and one deposit of FEE");
        assertEq(rollup.totalDeposited(0), FEE, "the deposit is what was sent less the fee");
    }

    /// The review's attack: a burst of requests in one block used to share one deadline, so a
    /// backlog the operator cannot prove in time let anyone activate exodus. Now the k-th request
    /// of a burst expires `k * PRIORITY_OP_SPACING` after the first.
    function test_deadlines_cannotPileUp() public {
        uint256 n = 200;
        vm.deal(mallory, n * FEE);
        uint256 t = block.timestamp;
        vm.startPrank(mallory);
        for (uint256 i = 0; i < n; i++) {
            rollup.requestFullExit{value: FEE}(uint32(i), address(0));
        }
        vm.stopPrank();
        uint64 spacing = rollup.PRIORITY_OP_SPACING();
        for (uint64 i = 0; i < n; i++) {
            (, uint64 expiresAt,,) = rollup.priorityOps(i);
            assertEq(expiresAt, t + DEADLINE + i * spacing, "spaced deadline");
        }
        // Requests that come slower than the spacing keep the plain deadline.
        vm.warp(t + DEADLINE);
        vm.deal(alice, FEE);
        vm.prank(alice);
        rollup.requestFullExit{value: FEE}(7, address(0));
        (, uint64 last,,) = rollup.priorityOps(uint64(n));
        assertEq(last, t + 2 * DEADLINE, "no spacing needed");
        // the spam paid for itself: n fees wait for the operator
        assertEq(address(rollup).balance, (n + 1) * FEE, "fees held");
    }

    // ------------------------------------------------------------------ finding 2: deployer

    /// The deployer cannot start from a state that gives anyone a balance: only the empty tree,
    /// or the empty tree with the operator's (empty) fee account at id 0.
    function test_genesis_isEmptyOrTheOperatorsFeeAccount() public {
        assertEq(rollup.EMPTY_TREE_ROOT(), _emptyRoot(), "the constant is Poseidon's empty tree");
        ZkrRollup withFee = _deploy(OPERATOR, FEE, _rootWithAccount0(OPERATOR, 0));
        assertEq(withFee.lastExecutedRoot(), _rootWithAccount0(OPERATOR, 0), "fee account genesis");
        uint256[3] memory forged = [
            _rootWithAccount0(mallory, 0), // someone else's account
            _rootWithAccount0(OPERATOR, 1), // the operator's, with a key: it could sign
            uint256(1)
        ];
        for (uint256 i = 0; i < 3; i++) {
            vm.expectRevert(abi.encodeWithSelector(ZkrRollup.NotAGenesisRoot.selector, forged[i]));
            _deploy(OPERATOR, FEE, forged[i]);
        }
    }

    /// What users trust is on record: the code hashes, and that the dev verifier is forgeable.
    function test_recordsWhatItTrusts() public view {
        assertTrue(rollup.verifierCodeHash() == address(verifier).codehash, "verifier code hash");
        assertTrue(rollup.dexVerifierCodeHash() == address(dexVerifier).codehash, "DEX verifier code hash");
        assertTrue(dexVerifier.INSECURE_DEV_SETUP(), "the committed DEX verifier has the dev keys too");
        assertTrue(rollup.poseidon4CodeHash() == address(p4).codehash, "poseidon4 code hash");
        assertTrue(rollup.poseidon6CodeHash() == address(p6).codehash, "poseidon6 code hash");
        assertTrue(verifier.INSECURE_DEV_SETUP(), "the committed verifier has the dev keys");
        assertTrue(rollup.insecureDevVerifier(), "and the rollup says so");
    }

    // ------------------------------------------------------------------ finding 6: recipients

    function _pendingEthFor(address owner, uint256 amount) internal {
        vm.deal(alice, amount + FEE);
        vm.prank(alice);
        rollup.depositETH{value: amount + FEE}(owner);
        vm.warp(block.timestamp + DEADLINE + 1);
        rollup.activateExodusMode();
        rollup.refundDeposit(0);
    }

    /// An owner that cannot receive ETH (a contract wallet whose `receive` reverts) was locked
    /// out for good; it now names a recipient. Nobody else can move its balance.
    function test_withdrawTo_anOwnerThatCannotReceive() public {
        Wallet wallet = new Wallet(rollup);
        _pendingEthFor(address(wallet), 0.1 ether);
        vm.expectRevert(ZkrRollup.TransferFailed.selector);
        rollup.withdrawPendingBalance(payable(address(wallet)), address(0), 0.1 ether);
        // mallory has no pending balance of her own to send anywhere
        vm.prank(mallory);
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.InsufficientPendingBalance.selector, uint128(0), uint128(1)));
        rollup.withdrawPendingBalanceTo(address(0), 1, payable(mallory));
        vm.expectRevert(ZkrRollup.ZeroAddress.selector);
        wallet.withdrawTo(address(0), 1, payable(address(0)));
        wallet.withdrawTo(address(0), 0.1 ether, payable(alice));
        assertEq(alice.balance, 0.1 ether, "paid to the recipient");
        assertEq(rollup.getPendingBalance(address(wallet), address(0)), 0, "debited from the owner");
    }

    /// A holder the token blocks (USDC, USDT) withdraws to another of its addresses.
    function test_withdrawTo_aBlockedTokenHolder() public {
        TestToken token = Refunded.tokens(rollup, OPERATOR, alice, 1000);
        token.blockHolder(alice);
        vm.expectRevert(ZkrRollup.TransferFailed.selector);
        rollup.withdrawPendingBalance(payable(alice), address(token), 1000);
        vm.prank(alice);
        rollup.withdrawPendingBalanceTo(address(token), 1000, payable(address(0xA11CE2)));
        assertEq(token.balanceOf(address(0xA11CE2)), 1000, "paid to the other address");
        assertEq(rollup.totalPending(1), 0, "nothing owed");
    }

    // ------------------------------------------------------------------ finding 7: shrinking tokens

    /// A token whose balances shrink without a transfer leaves the contract owing more than it
    /// holds. Once that shows, the token takes no new deposits: a new depositor's money would
    /// only pay earlier ones.
    function test_shrinkingToken_takesNoMoreDeposits() public {
        TestToken token = new TestToken();
        vm.prank(OPERATOR);
        rollup.registerToken(address(token));
        token.mint(alice, 2000);
        vm.deal(alice, 2 * FEE);
        vm.startPrank(alice);
        token.approve(address(rollup), 2000);
        rollup.depositERC20{value: FEE}(address(token), 1000, alice);
        vm.stopPrank();
        token.slash(address(rollup), 100);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.TokenBalanceShrank.selector, uint16(1), 900, 1000));
        rollup.depositERC20{value: FEE}(address(token), 1000, alice);
        // topped up (by anyone) to what it owes, it takes deposits again
        token.mint(address(rollup), 100);
        vm.prank(alice);
        rollup.depositERC20{value: FEE}(address(token), 1000, alice);
        assertEq(rollup.totalDeposited(1), 2000, "both deposits");
    }
}

/// @notice A contract wallet that cannot receive ETH but can call the rollup.
contract Wallet {
    ZkrRollup internal immutable rollup;

    constructor(ZkrRollup rollup_) {
        rollup = rollup_;
    }

    function withdrawTo(address token, uint128 amount, address payable recipient) external {
        rollup.withdrawPendingBalanceTo(token, amount, recipient);
    }
}
