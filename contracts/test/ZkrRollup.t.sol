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
import {Pubdata} from "../src/libraries/Pubdata.sol";
import {Fixture} from "./utils/Fixture.sol";

/// @notice The rollup contract with a real batch proven by our prover. The fixture is made by
///   zkr circuit export-proof-fixture --slots 8 --rollup 0xc7183455a4C133Ae270771860664b6B7ec320bB1 \
///       --out contracts/test/fixtures/batch_proof.json
/// and the same batch proven by the DEX circuit (`--circuit dex`, test/fixtures/dex_batch_proof.json)
/// (the rollup address is where setUp deploys it: the EIP-712 domain of the key registration).
contract ZkrRollupTest is Test {
    ZkrRollup internal rollup;
    string internal json;
    address internal alice;
    address internal bob;
    uint64 internal constant DEADLINE = 1 days;
    uint128 internal constant FEE = 0.001 ether;

    function setUp() public {
        json = vm.readFile("test/fixtures/batch_proof.json");
        IPoseidon4 p4 = IPoseidon4(deployHex("poseidon/PoseidonT5.hex"));
        IPoseidon6 p6 = IPoseidon6(deployHex("poseidon/PoseidonT7.hex"));
        ZkrBatchVerifier verifier = new ZkrBatchVerifier();
        rollup = new ZkrRollup(
            IZkrVerifier(address(verifier)),
            IZkrVerifier(address(new ZkrDexVerifier())),
            p4,
            p6,
            address(this),
            uint32(vm.parseJsonUint(json, ".zkrChainId")),
            DEADLINE,
            FEE,
            vm.parseJsonUint(json, ".oldRoot")
        );
        assertEq(address(rollup), vm.parseJsonAddress(json, ".rollup"), "rollup deployed where the fixture expects");
        alice = vm.parseJsonAddress(json, ".users[0]");
        bob = vm.parseJsonAddress(json, ".users[1]");
    }

    // ------------------------------------------------------------------ helpers

    function _l1Requests() internal {
        vm.deal(alice, 2 ether);
        vm.deal(bob, 2 ether);
        vm.prank(alice);
        rollup.depositETH{value: 1 ether + FEE}(alice);
        vm.prank(bob);
        rollup.depositETH{value: 0.5 ether + FEE}(bob);
        vm.prank(bob);
        rollup.requestFullExit{value: FEE}(1, address(0));
    }

    function _input() internal view returns (ZkrRollup.CommitBatchInput memory) {
        return Fixture.commitInput(json);
    }

    function _proof() internal view returns (uint256[2] memory, uint256[2][2] memory, uint256[2] memory) {
        return Fixture.proof(json);
    }

    function _ops() internal view returns (ZkrRollup.OnchainOp[] memory) {
        return Fixture.onchainOps(json);
    }

    function _prove(uint64 n) internal {
        (uint256[2] memory a, uint256[2][2] memory b, uint256[2] memory c) = _proof();
        rollup.proveBatch(n, a, b, c);
    }

    function _runBatch() internal {
        _l1Requests();
        rollup.commitBatch(_input());
        _prove(1);
        rollup.executeBatch(1, _ops());
    }

    // ------------------------------------------------------------------ the real batch

    function test_realBatch_commitProveExecuteWithdraw() public {
        _l1Requests();
        assertEq(address(rollup).balance, 1.5 ether + 3 * FEE, "deposits and fees locked");
        rollup.commitBatch(_input());
        assertEq(rollup.totalBatchesCommitted(), 1, "committed");
        _prove(1);
        assertEq(rollup.totalBatchesProven(), 1, "proven");
        rollup.executeBatch(1, _ops());
        assertEq(rollup.totalBatchesExecuted(), 1, "executed");
        assertEq(rollup.lastExecutedRoot(), vm.parseJsonUint(json, ".newRoot"), "root");
        assertEq(rollup.firstUnexecutedPriorityOp(), 3, "three priority ops processed");
        assertEq(rollup.getPendingBalance(alice, address(0)), 0.1 ether, "alice's withdrawal");
        assertEq(rollup.getPendingBalance(bob, address(0)), 0.75 ether, "bob's full exit");
        assertEq(rollup.getPendingBalance(address(this), address(0)), 3 * FEE, "the operator earned three fees");

        uint256 aliceBefore = alice.balance;
        // anyone may pay out a pending balance to its owner
        rollup.withdrawPendingBalance(payable(alice), address(0), 0.1 ether);
        vm.prank(bob);
        rollup.withdrawPendingBalance(payable(bob), address(0), 0.75 ether);
        assertEq(alice.balance, aliceBefore + 0.1 ether, "alice paid");
        assertEq(bob.balance, 2 ether - 0.5 ether - 2 * FEE + 0.75 ether, "bob paid");
        assertEq(address(rollup).balance, 0.65 ether + 3 * FEE, "what L2 still holds, and the operator's fees");
        assertEq(rollup.getPendingBalance(alice, address(0)), 0, "paid once");
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.InsufficientPendingBalance.selector, uint128(0), uint128(1)));
        rollup.withdrawPendingBalance(payable(alice), address(0), 1);
    }

    // ------------------------------------------------------------------ commit

    function test_commit_onlyOperator() public {
        _l1Requests();
        ZkrRollup.CommitBatchInput memory b = _input();
        vm.prank(alice);
        vm.expectRevert(ZkrRollup.NotOperator.selector);
        rollup.commitBatch(b);
    }

    function test_commit_rejectsDepositsThatDifferFromTheQueue() public {
        vm.deal(alice, 2 ether);
        vm.deal(bob, 2 ether);
        vm.prank(alice);
        rollup.depositETH{value: 1 ether + FEE}(alice);
        vm.prank(bob);
        rollup.depositETH{value: 0.4 ether + FEE}(bob);
        vm.prank(bob);
        rollup.requestFullExit{value: FEE}(1, address(0));
        ZkrRollup.CommitBatchInput memory b = _input();
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.PriorityOpMismatch.selector, uint256(41), uint64(1)));
        rollup.commitBatch(b);
    }

    function test_commit_rejectsPriorityOpsThatWereNeverRequested() public {
        ZkrRollup.CommitBatchInput memory b = _input();
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.NotEnoughPriorityOps.selector, uint256(0)));
        rollup.commitBatch(b);
    }

    function test_commit_rejectsAForgedKeyAuthorization() public {
        _l1Requests();
        ZkrRollup.CommitBatchInput memory b = _input();
        b.ethSignatures[0][5] = bytes1(uint8(b.ethSignatures[0][5]) ^ 1);
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.InvalidEthSignature.selector, uint256(82)));
        rollup.commitBatch(b);
        b.ethSignatures = new bytes[](0);
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.MissingEthSignature.selector, uint256(82)));
        rollup.commitBatch(b);
    }

    function test_commit_rejectsMalformedPubdata() public {
        ZkrRollup.CommitBatchInput memory b;
        b.pubdata = hex"0b";
        vm.expectRevert(abi.encodeWithSelector(Pubdata.UnknownOpType.selector, uint256(0), uint8(11)));
        rollup.commitBatch(b);
        // each plain operation (a Transfer, the DEX operations) one byte short, after a whole one
        uint8[5] memory plain =
            [Pubdata.TRANSFER, Pubdata.SWAP, Pubdata.ADD_LIQUIDITY, Pubdata.REMOVE_LIQUIDITY, Pubdata.CREATE_POOL];
        for (uint256 i = 0; i < plain.length; i++) {
            uint256 len = Pubdata.opLength(plain[i]);
            bytes memory whole = new bytes(len);
            whole[0] = bytes1(plain[i]);
            bytes memory short = new bytes(len - 1);
            short[0] = bytes1(plain[i]);
            b.pubdata = abi.encodePacked(whole, short);
            vm.expectRevert(abi.encodeWithSelector(Pubdata.TruncatedPubdata.selector, len));
            rollup.commitBatch(b);
        }
        b.pubdata = hex"0300000100000207";
        vm.expectRevert(abi.encodeWithSelector(Pubdata.TruncatedPubdata.selector, uint256(0)));
        rollup.commitBatch(b);
        b.pubdata = "";
        b.newRoot = Pubdata.R;
        vm.expectRevert(ZkrRollup.NotInField.selector);
        rollup.commitBatch(b);
        b.newRoot = 1;
        b.feeAccount = 1 << 24;
        vm.expectRevert(ZkrRollup.FeeAccountOutOfRange.selector);
        rollup.commitBatch(b);
    }

    function testFuzz_commit_acceptsAnyTransfers(bytes14[] calldata bodies) public {
        vm.assume(bodies.length < 40);
        bytes memory data;
        for (uint256 i = 0; i < bodies.length; i++) {
            data = abi.encodePacked(data, Pubdata.TRANSFER, bodies[i]);
        }
        ZkrRollup.CommitBatchInput memory b;
        b.newRoot = 1;
        b.pubdata = data;
        rollup.commitBatch(b);
        (uint256 commitment,,,) = rollup.batches(1);
        assertTrue(commitment != 0 && commitment < Pubdata.R, "a commitment in the field");
    }

    /// The commit's fast path for plain operations (Transfer and the DEX operations) against a
    /// byte-by-byte reference of docs/protocol.md §6: each is one element, its bytes right-padded
    /// to 31, folded as y = y * z + e.
    function testFuzz_commit_plainOpsAreOneRightPaddedElementEach(uint8[] calldata kinds, bytes32[] calldata bodies)
        public
    {
        uint8[5] memory plain =
            [Pubdata.TRANSFER, Pubdata.SWAP, Pubdata.ADD_LIQUIDITY, Pubdata.REMOVE_LIQUIDITY, Pubdata.CREATE_POOL];
        uint256 n = kinds.length < bodies.length ? kinds.length : bodies.length;
        if (n > 30) n = 30;
        bytes memory data;
        uint256[] memory elements = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            uint8 t = plain[kinds[i] % 5];
            uint256 len = Pubdata.opLength(t);
            assertEq(Pubdata.plainLength(t), len, "a plain operation's length");
            bytes memory op = new bytes(len);
            op[0] = bytes1(t);
            for (uint256 j = 1; j < len; j++) {
                op[j] = bodies[i][j - 1];
            }
            for (uint256 j = 0; j < len; j++) {
                elements[i] |= uint256(uint8(op[j])) << (8 * (30 - j));
            }
            data = abi.encodePacked(data, op);
        }
        ZkrRollup.CommitBatchInput memory b;
        b.newRoot = 5;
        b.pubdataHash = 7;
        b.feeAccount = 3;
        b.pubdata = data;
        rollup.commitBatch(b);
        uint256 z = uint256(keccak256(abi.encodePacked(b.pubdataHash, keccak256(data)))) % Pubdata.R;
        uint256 y;
        for (uint256 i = 0; i < n; i++) {
            y = addmod(mulmod(y, z, Pubdata.R), elements[i], Pubdata.R);
        }
        uint256 meta = 1 | (uint256(rollup.chainId()) << 64) | (uint256(3) << 96);
        uint256 expected = rollup.poseidon6().poseidon([meta, vm.parseJsonUint(json, ".oldRoot"), 5, 7, z, y]);
        (uint256 commitment,,,) = rollup.batches(1);
        assertEq(commitment, expected, "the commitment of the reference elements");
    }

    /// Hostile pubdata: any bytes either commit or revert with one of the rollup's own errors,
    /// never a Panic (an out-of-bounds read, an overflow) and never a bare revert. `framed`
    /// builds runs of operations with valid type bytes and random bodies (so the parser gets
    /// into every operation's fields), then flips one byte; otherwise the bytes are raw.
    function testFuzz_commit_anyPubdataCommitsOrRevertsWithAReason(
        bytes calldata raw,
        uint8[] calldata kinds,
        bytes32 seed,
        uint16 flipAt,
        bytes1 flip,
        bool framed
    ) public {
        bytes memory data = raw;
        if (framed) {
            data = "";
            uint256 n = kinds.length > 8 ? 8 : kinds.length;
            for (uint256 i = 0; i < n; i++) {
                uint8 t = uint8(kinds[i] % 10) + 1;
                bytes memory op = new bytes(Pubdata.opLength(t));
                op[0] = bytes1(t);
                for (uint256 j = 1; j < op.length; j++) {
                    op[j] = keccak256(abi.encode(seed, i, j / 32))[j % 32];
                }
                data = abi.encodePacked(data, op);
            }
            if (data.length > 0) data[flipAt % data.length] = flip;
        }
        ZkrRollup.CommitBatchInput memory b;
        b.newRoot = 5;
        b.pubdataHash = 7;
        b.feeAccount = 3;
        b.pubdata = data;
        try rollup.commitBatch(b) {}
        catch (bytes memory reason) {
            assertTrue(reason.length >= 4, "a revert says why");
            assertTrue(bytes4(reason) != bytes4(keccak256("Panic(uint256)")), "no Panic on any pubdata");
        }
    }

    function test_pubdata_plainLengthsAreExactlyTheOneElementOpsWithoutAnL1Effect() public pure {
        for (uint256 t = 0; t < 256; t++) {
            bool plain = t == Pubdata.TRANSFER || t == Pubdata.SWAP || t == Pubdata.ADD_LIQUIDITY
                || t == Pubdata.REMOVE_LIQUIDITY || t == Pubdata.CREATE_POOL;
            assertEq(Pubdata.plainLength(t), plain ? Pubdata.opLength(uint8(t)) : 0, "plain length");
        }
    }

    function testFuzz_commit_rejectsUnknownOpTypes(uint8 opType, bytes32 rest) public {
        vm.assume(opType == 0 || opType > 0x0a);
        ZkrRollup.CommitBatchInput memory b;
        b.pubdata = abi.encodePacked(opType, rest);
        vm.expectRevert(abi.encodeWithSelector(Pubdata.UnknownOpType.selector, uint256(0), opType));
        rollup.commitBatch(b);
    }

    // ------------------------------------------------------------------ prove and execute

    function test_prove_rejectsAWrongProofOrOrder() public {
        _l1Requests();
        rollup.commitBatch(_input());
        (uint256[2] memory a, uint256[2][2] memory b, uint256[2] memory c) = _proof();
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.WrongBatchNumber.selector, uint64(1), uint64(2)));
        rollup.proveBatch(2, a, b, c);
        a[0] ^= 1;
        vm.expectRevert(ZkrRollup.InvalidProof.selector);
        rollup.proveBatch(1, a, b, c);
    }

    function test_prove_rejectsTheProofForOtherPubdataOrRoot() public {
        _l1Requests();
        ZkrRollup.CommitBatchInput memory b = _input();
        b.newRoot += 1;
        rollup.commitBatch(b);
        (uint256[2] memory pa, uint256[2][2] memory pb, uint256[2] memory pc) = _proof();
        vm.expectRevert(ZkrRollup.InvalidProof.selector);
        rollup.proveBatch(1, pa, pb, pc);
    }

    function test_prove_eachVerifierAcceptsOnlyItsOwnCircuitsProofs() public {
        _l1Requests();
        rollup.commitBatch(_input());
        (uint256[2] memory a, uint256[2][2] memory b, uint256[2] memory c) = _proof();
        // the same batch proven by the DEX circuit (test/fixtures/dex_batch_proof.json)
        string memory dex = vm.readFile("test/fixtures/dex_batch_proof.json");
        assertEq(vm.parseJsonUint(dex, ".newRoot"), vm.parseJsonUint(json, ".newRoot"), "same batch");
        assertEq(vm.parseJsonUint(dex, ".pubdataHash"), vm.parseJsonUint(json, ".pubdataHash"), "same batch");
        (uint256[2] memory da, uint256[2][2] memory db, uint256[2] memory dc) = Fixture.proof(dex);
        // a transfer-circuit proof is refused by the DEX circuit's verifier, and the other way round
        vm.expectRevert(ZkrRollup.InvalidProof.selector);
        rollup.proveDexBatch(1, a, b, c);
        vm.expectRevert(ZkrRollup.InvalidProof.selector);
        rollup.proveBatch(1, da, db, dc);
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.WrongBatchNumber.selector, uint64(1), uint64(2)));
        rollup.proveDexBatch(2, da, db, dc);
        uint256 snap = vm.snapshotState();
        rollup.proveBatch(1, a, b, c);
        assertEq(rollup.totalBatchesProven(), 1, "proven by the transfer verifier");
        vm.revertToState(snap);
        assertEq(rollup.totalBatchesProven(), 0, "back before the proof");
        rollup.proveDexBatch(1, da, db, dc);
        assertEq(rollup.totalBatchesProven(), 1, "proven by the DEX verifier");
        rollup.executeBatch(1, _ops());
        assertEq(rollup.totalBatchesExecuted(), 1, "a DEX-proven batch executes");
        assertTrue(rollup.dexVerifierCodeHash() == address(rollup.dexVerifier()).codehash, "code hash recorded");
    }

    function test_prove_rejectsUncommittedBatch() public {
        (uint256[2] memory a, uint256[2][2] memory b, uint256[2] memory c) = _proof();
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.BatchNotCommitted.selector, uint64(1)));
        rollup.proveBatch(1, a, b, c);
    }

    function test_execute_requiresAProofAndTheCommittedOps() public {
        _l1Requests();
        rollup.commitBatch(_input());
        ZkrRollup.OnchainOp[] memory ops = _ops();
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.BatchNotProven.selector, uint64(1)));
        rollup.executeBatch(1, ops);
        _prove(1);
        ops[1].amount += 1;
        vm.expectRevert(ZkrRollup.OnchainOpsMismatch.selector);
        rollup.executeBatch(1, ops);
        ops[1].amount -= 1;
        rollup.executeBatch(1, ops);
    }

    function test_revert_dropsUnprovenBatchesOnly() public {
        _l1Requests();
        rollup.commitBatch(_input());
        vm.prank(alice);
        vm.expectRevert(ZkrRollup.NotOperator.selector);
        rollup.revertBatches(0);
        rollup.revertBatches(0);
        assertEq(rollup.totalBatchesCommitted(), 0, "reverted");
        assertEq(rollup.committedPriorityOps(), 0, "priority ops back in the queue");
        rollup.commitBatch(_input());
        _prove(1);
        vm.expectRevert(ZkrRollup.CannotRevertProvenBatch.selector);
        rollup.revertBatches(0);
        rollup.executeBatch(1, _ops());
        vm.expectRevert(ZkrRollup.CannotRevertProvenBatch.selector);
        rollup.revertBatches(0);
    }

    // ------------------------------------------------------------------ deposits and tokens

    function test_deposit_rejectsBadInput() public {
        vm.deal(alice, 1 ether);
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.DepositBelowMinimum.selector, 2 * FEE, 0));
        rollup.depositETH{value: 0}(alice);
        vm.expectRevert(ZkrRollup.ZeroAddress.selector);
        rollup.depositETH{value: 0.1 ether}(address(0));
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.TokenNotRegistered.selector, address(0xBEEF)));
        rollup.depositERC20{value: FEE}(address(0xBEEF), 1, alice);
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.AccountIdOutOfRange.selector, uint32(1 << 24)));
        rollup.requestFullExit{value: FEE}(1 << 24, address(0));
        vm.stopPrank();
    }

    function test_erc20_registerDepositAndCap() public {
        TestToken token = new TestToken();
        vm.prank(alice);
        vm.expectRevert(ZkrRollup.NotOperator.selector);
        rollup.registerToken(address(token));
        rollup.registerToken(address(token));
        assertEq(rollup.tokenId(address(token)), 1, "second token id");
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.TokenAlreadyRegistered.selector, address(token)));
        rollup.registerToken(address(token));
        token.mint(alice, type(uint256).max);
        vm.deal(alice, 1 ether);
        vm.startPrank(alice);
        token.approve(address(rollup), type(uint256).max);
        rollup.depositERC20{value: FEE}(address(token), 1000, bob);
        assertEq(token.balanceOf(address(rollup)), 1000, "tokens locked");
        (bytes32 hash,, uint8 opType, address payer) = rollup.priorityOps(0);
        assertEq(payer, alice, "the fee's payer");
        assertEq(opType, Pubdata.DEPOSIT, "a deposit in the queue");
        assertTrue(hash == keccak256(abi.encodePacked(Pubdata.DEPOSIT, bob, uint8(1), uint128(1000))), "queue hash");
        rollup.depositERC20{value: FEE}(address(token), type(uint128).max - 1000, bob);
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.DepositCapExceeded.selector, uint16(1)));
        rollup.depositERC20{value: FEE}(address(token), 1, bob);
        vm.stopPrank();
    }

    function testFuzz_depositETH_queuesWhatWasSentLessTheFee(uint96 amount, address to) public {
        vm.assume(amount >= FEE && to != address(0));
        vm.deal(alice, uint256(amount) + FEE);
        vm.prank(alice);
        rollup.depositETH{value: uint256(amount) + FEE}(to);
        (bytes32 hash, uint64 expiresAt,,) = rollup.priorityOps(0);
        assertTrue(hash == keccak256(abi.encodePacked(Pubdata.DEPOSIT, to, uint8(0), uint128(amount))), "queue hash");
        assertEq(expiresAt, block.timestamp + DEADLINE, "deadline");
        assertEq(rollup.totalDeposited(0), amount, "counted");
    }

    // ------------------------------------------------------------------ exodus

    function test_exodus_onlyAfterADeadlineAndThenExitsAndRefunds() public {
        _runBatch();
        vm.expectRevert(ZkrRollup.NoExpiredPriorityOp.selector);
        rollup.activateExodusMode();
        // a deposit the operator never processes
        vm.prank(alice);
        rollup.depositETH{value: 0.2 ether + FEE}(alice);
        // its deadline: DEADLINE from now (the batch's three requests are served: not spaced)
        (, uint64 expiresAt,,) = rollup.priorityOps(3);
        assertEq(expiresAt, block.timestamp + DEADLINE, "deadline");
        vm.warp(expiresAt);
        vm.expectRevert(ZkrRollup.NoExpiredPriorityOp.selector);
        rollup.activateExodusMode();
        vm.warp(expiresAt + 1);
        rollup.activateExodusMode();
        assertTrue(rollup.exodusMode(), "exodus");

        // batches and deposits stop
        ZkrRollup.CommitBatchInput memory b;
        vm.expectRevert(ZkrRollup.ExodusModeActive.selector);
        rollup.commitBatch(b);
        vm.expectRevert(ZkrRollup.ExodusModeActive.selector);
        rollup.depositETH{value: 1}(alice);

        // the unprocessed deposit comes back, once
        rollup.refundDeposit(3);
        assertEq(rollup.getPendingBalance(alice, address(0)), 0.3 ether, "withdrawal + refund");
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.NotARefundableDeposit.selector, uint64(3)));
        rollup.refundDeposit(3);
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.NotARefundableDeposit.selector, uint64(0)));
        rollup.refundDeposit(0);

        // alice exits her L2 balance with a Merkle proof against the last executed root, once
        ZkrRollup.ExitProof memory p = _exitProof();
        ZkrRollup.ExitProof memory wrong = _exitProof();
        wrong.balance += 1;
        vm.expectRevert(ZkrRollup.InvalidExitProof.selector);
        rollup.exit(wrong);
        rollup.exit(p);
        assertEq(rollup.getPendingBalance(alice, address(0)), 0.3 ether + p.balance, "exited");
        vm.expectRevert(ZkrRollup.AlreadyExited.selector);
        rollup.exit(p);
        // an owner-less leaf (empty, or a special account such as an AMM pool) is nobody's to
        // exit: its balance would go to address(0)
        ZkrRollup.ExitProof memory nobody = _exitProof();
        nobody.accountId = 5;
        nobody.owner = address(0);
        vm.expectRevert(ZkrRollup.ZeroAddress.selector);
        rollup.exit(nobody);

        // the unprocessed deposit's fee goes back to whoever paid it, once; executed ones' do not
        rollup.refundPriorityFee(3);
        assertEq(rollup.getPendingBalance(alice, address(0)), 0.3 ether + p.balance + FEE, "fee refunded");
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.NotARefundableFee.selector, uint64(3)));
        rollup.refundPriorityFee(3);
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.NotARefundableFee.selector, uint64(0)));
        rollup.refundPriorityFee(0);

        // everything owed is covered by what the contract holds (the operator's three fees too)
        assertEq(address(rollup).balance, 0.1 ether + 0.75 ether + 0.2 ether + 0.65 ether + 4 * FEE, "held");
        assertEq(rollup.totalPending(0), 0.1 ether + 0.75 ether + 0.2 ether + 0.65 ether + 4 * FEE, "owed");
        rollup.withdrawPendingBalance(payable(alice), address(0), 0.3 ether + p.balance + FEE);
    }

    function test_exit_onlyInExodusMode() public {
        ZkrRollup.ExitProof memory p = _exitProof();
        vm.expectRevert(ZkrRollup.NotInExodusMode.selector);
        rollup.exit(p);
        vm.expectRevert(ZkrRollup.NotInExodusMode.selector);
        rollup.refundDeposit(0);
        vm.expectRevert(ZkrRollup.NotInExodusMode.selector);
        rollup.refundPriorityFee(0);
    }

    function _exitProof() internal view returns (ZkrRollup.ExitProof memory) {
        return Fixture.exitProof(json);
    }



    // ------------------------------------------------------------------ remaining revert reasons

    function test_commit_rejectsAWithdrawalToAddressZero() public {
        ZkrRollup.CommitBatchInput memory b;
        b.newRoot = 1;
        // type(1) account(3) token(1) amount(16) fee(2) to(20)
        b.pubdata = abi.encodePacked(Pubdata.WITHDRAW, uint24(0), uint8(0), uint128(1 ether), uint16(0), address(0));
        vm.expectRevert(ZkrRollup.ZeroAddress.selector);
        rollup.commitBatch(b);
        b.pubdata = abi.encodePacked(Pubdata.WITHDRAW, uint24(0), uint8(0), uint128(1 ether), uint16(0), alice);
        rollup.commitBatch(b);
    }

    function test_commit_rejectsAWithdrawalOfAnLpOrUnregisteredToken() public {
        ZkrRollup.CommitBatchInput memory b;
        b.newRoot = 1;
        uint8 next = uint8(rollup.totalTokens());
        // an unregistered L1 id and an LP token (128 + pool) have no ERC-20 to pay out
        uint8[2] memory bad = [next, uint8(128)];
        for (uint256 i = 0; i < bad.length; i++) {
            b.pubdata = abi.encodePacked(Pubdata.WITHDRAW, uint24(0), bad[i], uint128(1), uint16(0), alice);
            vm.expectRevert(abi.encodeWithSelector(ZkrRollup.UnknownToken.selector, uint16(bad[i])));
            rollup.commitBatch(b);
        }
        b.pubdata = abi.encodePacked(Pubdata.WITHDRAW, uint24(0), next - 1, uint128(1), uint16(0), alice);
        rollup.commitBatch(b);
    }

    function test_constructor_rejectsBadConfiguration() public {
        IZkrVerifier v = rollup.verifier();
        IZkrVerifier dv = rollup.dexVerifier();
        IPoseidon4 p4 = rollup.poseidon4();
        IPoseidon6 p6 = rollup.poseidon6();
        uint256 g = rollup.EMPTY_TREE_ROOT();
        vm.expectRevert(ZkrRollup.ZeroAddress.selector);
        new ZkrRollup(v, dv, p4, p6, address(0), 1, DEADLINE, FEE, g);
        // a verifier or Poseidon without code would make every commit, proof and exit revert
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.NoCode.selector, address(1)));
        new ZkrRollup(IZkrVerifier(address(1)), dv, p4, p6, address(1), 1, DEADLINE, FEE, g);
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.NoCode.selector, address(2)));
        new ZkrRollup(v, dv, IPoseidon4(address(2)), p6, address(1), 1, DEADLINE, FEE, g);
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.NoCode.selector, address(3)));
        new ZkrRollup(v, dv, p4, IPoseidon6(address(3)), address(1), 1, DEADLINE, FEE, g);
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.NoCode.selector, address(4)));
        new ZkrRollup(v, IZkrVerifier(address(4)), p4, p6, address(1), 1, DEADLINE, FEE, g);
        // a deadline of 0 lets anyone freeze the rollup a second after any deposit; a huge one
        // overflows the queue's expiry and removes the escape hatch
        uint64 min = rollup.MIN_PRIORITY_DEADLINE();
        uint64 max = rollup.MAX_PRIORITY_DEADLINE();
        for (uint256 i = 0; i < 4; i++) {
            uint64 d = [uint64(0), min - 1, max + 1, type(uint64).max][i];
            vm.expectRevert(abi.encodeWithSelector(ZkrRollup.PriorityDeadlineOutOfRange.selector, d));
            new ZkrRollup(v, dv, p4, p6, address(1), 1, d, FEE, g);
        }
        new ZkrRollup(v, dv, p4, p6, address(1), 1, min, FEE, g);
        new ZkrRollup(v, dv, p4, p6, address(1), 1, max, FEE, g);
        // a fee above the cap prices users out of forced exits
        uint128 maxFee = rollup.MAX_PRIORITY_FEE();
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.PriorityFeeOutOfRange.selector, maxFee + 1));
        new ZkrRollup(v, dv, p4, p6, address(1), 1, DEADLINE, maxFee + 1, g);
        new ZkrRollup(v, dv, p4, p6, address(1), 1, DEADLINE, maxFee, g);
    }

    /// The deposit cap counts what L2 and the pending balances hold: withdrawals free it (before,
    /// it only grew, so cycling funds in and out could lock a token out of deposits for good),
    /// and pending balances count (else a second huge payout to one owner overflowed its uint128
    /// pending balance and jammed `executeBatch` for good).
    function test_depositCap_countsPendingAndFreesWhatIsWithdrawn() public {
        _runBatch();
        ZkrRollup.OnchainOp[] memory ops = _ops();
        uint256 paid = uint256(ops[0].amount) + ops[1].amount;
        assertTrue(paid > 0, "the batch pays out");
        assertEq(rollup.totalDeposited(0), 1.5 ether - paid, "deposited minus paid out");
        assertEq(rollup.totalPending(0), paid + 3 * FEE, "paid out, and the operator's fees");
        uint256 room = type(uint128).max - rollup.totalDeposited(0) - rollup.totalPending(0);
        vm.deal(alice, room + 3 * FEE);
        vm.startPrank(alice);
        rollup.depositETH{value: room + FEE}(alice);
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.DepositCapExceeded.selector, uint16(0)));
        rollup.depositETH{value: 2 * FEE}(alice);
        vm.stopPrank();
        // bob takes his full exit out: that much room again
        vm.prank(bob);
        rollup.withdrawPendingBalance(payable(bob), address(0), ops[1].amount);
        vm.deal(alice, ops[1].amount + FEE);
        vm.prank(alice);
        rollup.depositETH{value: ops[1].amount + FEE}(alice);
    }

    /// Deadlines are spaced only behind operations still waiting: a burst the operator has
    /// served does not push a later request's deadline back.
    function test_deadlines_servedOpsDoNotStretchLaterOnes() public {
        _runBatch();
        // the batch's three requests came in one block: spaced deadlines
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        rollup.requestFullExit{value: FEE}(0, address(0));
        (, uint64 expiresAt,,) = rollup.priorityOps(3);
        assertEq(expiresAt, block.timestamp + DEADLINE, "not behind the executed burst");
        vm.prank(alice);
        rollup.requestFullExit{value: FEE}(0, address(0));
        (, expiresAt,,) = rollup.priorityOps(4);
        assertEq(expiresAt, block.timestamp + DEADLINE + rollup.PRIORITY_OP_SPACING(), "behind the waiting one");
    }

    /// A token whose code is gone pays nothing: the withdrawal reverts instead of debiting the
    /// pending balance for nothing.
    function test_withdraw_ofATokenWithoutCodeReverts() public {
        // the deposit is never processed: exodus, refund to a pending balance
        TestToken token = Refunded.tokens(rollup, address(this), alice, 1000);
        assertEq(rollup.getPendingBalance(alice, address(token)), 1000, "refunded");
        vm.etch(address(token), "");
        vm.expectRevert(ZkrRollup.TransferFailed.selector);
        rollup.withdrawPendingBalance(payable(alice), address(token), 1000);
        assertEq(rollup.getPendingBalance(alice, address(token)), 1000, "still owed");
    }

    function test_registerToken_limits() public {
        vm.expectRevert(ZkrRollup.ZeroAddress.selector);
        rollup.registerToken(address(0));
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.NoCode.selector, address(0x1001)));
        rollup.registerToken(address(0x1001));
        for (uint256 i = 1; i < 128; i++) {
            vm.etch(address(uint160(0x1000 + i)), hex"00");
            rollup.registerToken(address(uint160(0x1000 + i)));
        }
        assertEq(rollup.totalTokens(), 128, "128 L1 token ids; 128..255 are LP tokens");
        vm.etch(address(0x9999), hex"00");
        vm.expectRevert(ZkrRollup.TooManyTokens.selector);
        rollup.registerToken(address(0x9999));
    }

    function test_depositETH_aboveUint128() public {
        uint256 tooMuch = uint256(type(uint128).max) + 1 + FEE;
        vm.deal(alice, tooMuch);
        vm.prank(alice);
        vm.expectRevert(ZkrRollup.AmountTooLarge.selector);
        rollup.depositETH{value: tooMuch}(alice);
    }

    function test_commit_rejectsAPubkeyHashOutsideTheField() public {
        ZkrRollup.CommitBatchInput memory b;
        b.pubdata = abi.encodePacked(Pubdata.CHANGE_PUBKEY, bytes30(0), type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(Pubdata.PubkeyHashNotInField.selector, uint256(0)));
        rollup.commitBatch(b);
    }

    function test_executeAndRevert_checkBatchNumbers() public {
        _l1Requests();
        rollup.commitBatch(_input());
        _prove(1);
        ZkrRollup.OnchainOp[] memory ops = _ops();
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.WrongBatchNumber.selector, uint64(1), uint64(2)));
        rollup.executeBatch(2, ops);
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.WrongBatchNumber.selector, uint64(1), uint64(1)));
        rollup.revertBatches(1);
    }

    function test_withdraw_zeroAndFailingReceiverAndReentrancy() public {
        Rejecter rejecter = new Rejecter();
        Reenterer reenterer = new Reenterer(rollup);
        vm.deal(alice, 1 ether);
        vm.startPrank(alice);
        rollup.depositETH{value: 0.1 ether + FEE}(address(rejecter));
        rollup.depositETH{value: 0.1 ether + FEE}(address(reenterer));
        vm.stopPrank();
        vm.warp(block.timestamp + DEADLINE + 1);
        rollup.activateExodusMode();
        rollup.refundDeposit(0);
        rollup.refundDeposit(1);
        vm.expectRevert(ZkrRollup.ZeroAmount.selector);
        rollup.withdrawPendingBalance(payable(address(rejecter)), address(0), 0);
        vm.expectRevert(ZkrRollup.TransferFailed.selector);
        rollup.withdrawPendingBalance(payable(address(rejecter)), address(0), 0.1 ether);
        assertEq(rollup.getPendingBalance(address(rejecter), address(0)), 0.1 ether, "nothing lost on failure");
        // the receiver tries to withdraw again while being paid: refused
        rollup.withdrawPendingBalance(payable(address(reenterer)), address(0), 0.05 ether);
        assertTrue(reenterer.lastError() == ZkrRollup.Reentrancy.selector, "reentrancy refused");
        assertEq(address(reenterer).balance, 0.05 ether, "paid once");
        assertEq(rollup.getPendingBalance(address(reenterer), address(0)), 0.05 ether, "rest still pending");
    }
}

/// @notice Refuses ETH.
contract Rejecter {
    receive() external payable {
        revert("no thanks");
    }
}

/// @notice Tries to withdraw again while receiving a withdrawal.
contract Reenterer {
    ZkrRollup internal immutable rollup;
    bytes4 public lastError;

    constructor(ZkrRollup rollup_) {
        rollup = rollup_;
    }

    receive() external payable {
        try rollup.withdrawPendingBalance(payable(address(this)), address(0), 1) {}
        catch (bytes memory reason) {
            lastError = bytes4(reason);
        }
    }
}
