// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {ZkrBatchVerifier} from "../src/ZkrBatchVerifier.sol";
import {ZkrRollup} from "../src/ZkrRollup.sol";
import {IZkrVerifier} from "../src/interfaces/IZkrVerifier.sol";
import {IPoseidon4, IPoseidon6} from "../src/interfaces/IPoseidon.sol";
import {Fixture} from "./utils/Fixture.sol";

/// @notice The rollup with a way to stand on a state no batch has proven yet: the tests of the
/// exodus LP exit start from the root of `fixtures/pool_exit.json` (built by the native state
/// transition: `crates/state/tests/pool_exit_fixture.rs`). TEST ONLY.
contract ExodusHarness is ZkrRollup {
    constructor(IZkrVerifier v, IPoseidon4 p4, IPoseidon6 p6)
        ZkrRollup(v, v, p4, p6, msg.sender, 270, 1 days, 0, EMPTY_TREE_ROOT)
    {}

    function standOn(uint256 root) external {
        lastExecutedRoot = root;
        exodus = true;
    }
}

contract ZkrRollupLiquidityExitTest is Test {
    ExodusHarness internal rollup;
    string internal json;

    function setUp() public virtual {
        json = vm.readFile("test/fixtures/pool_exit.json");
        rollup = new ExodusHarness(
            IZkrVerifier(address(new ZkrBatchVerifier())),
            IPoseidon4(deployHex("poseidon/PoseidonT5.hex")),
            IPoseidon6(deployHex("poseidon/PoseidonT7.hex"))
        );
        vm.etch(address(0x70CE2), hex"00");
        rollup.registerToken(address(0x70CE2));
        rollup.standOn(vm.parseJsonUint(json, ".root"));
    }

    function _share(uint256 i) internal view returns (ZkrRollup.ExitProof memory) {
        return Fixture.exitProofAt(json, string.concat(".shares[", i == 0 ? "0" : "1", "]"));
    }

    function _pool() internal view returns (ZkrRollup.PoolProof memory p) {
        p.pool = uint8(vm.parseJsonUint(json, ".pool.pool"));
        p.tokenA = uint16(vm.parseJsonUint(json, ".pool.tokenA"));
        p.tokenB = uint16(vm.parseJsonUint(json, ".pool.tokenB"));
        p.reserveA = uint128(vm.parseJsonUint(json, ".pool.reserveA"));
        p.reserveB = uint128(vm.parseJsonUint(json, ".pool.reserveB"));
        p.supply = uint128(vm.parseJsonUint(json, ".pool.supply"));
        p.pathA = Fixture.balancePath(json, ".pool.pathA");
        p.pathB = Fixture.balancePath(json, ".pool.pathB");
        p.pathShares = Fixture.balancePath(json, ".pool.pathShares");
        p.accountPath = Fixture.accountPath(json, ".pool.accountPath");
    }

    /// Each provider gets its shares' part of both reserves, once; together never more than
    /// the pool holds (the locked minimum stays).
    function test_providersExitTheirShareOfBothReserves() public {
        ZkrRollup.PoolProof memory p = _pool();
        uint256 paidA;
        uint256 paidB;
        for (uint256 i = 0; i < 2; i++) {
            ZkrRollup.ExitProof memory s = _share(i);
            assertTrue(s.balance > 0, "a provider");
            rollup.exitLiquidity(s, p);
            uint256 a = uint256(s.balance) * p.reserveA / p.supply;
            uint256 b = uint256(s.balance) * p.reserveB / p.supply;
            assertEq(rollup.getPendingBalance(s.owner, address(0)), a, "share of token a (ETH)");
            assertEq(rollup.getPendingBalance(s.owner, address(0x70CE2)), b, "share of token b");
            paidA += a;
            paidB += b;
            vm.expectRevert(ZkrRollup.AlreadyExited.selector);
            rollup.exitLiquidity(s, p);
        }
        assertTrue(paidA < p.reserveA && paidB < p.reserveB, "within the reserves: the locked minimum stays");
    }

    /// Reserves or supply the root does not hold, another pool's shares, or the LP token
    /// through the plain exit: refused.
    function test_forgedPoolsAndSharesAreRefused() public {
        ZkrRollup.ExitProof memory s = _share(0);
        ZkrRollup.PoolProof memory p = _pool();
        p.reserveA += 1;
        vm.expectRevert(ZkrRollup.InvalidExitProof.selector);
        rollup.exitLiquidity(s, p);
        p = _pool();
        p.supply -= 1;
        vm.expectRevert(ZkrRollup.InvalidExitProof.selector);
        rollup.exitLiquidity(s, p);
        p = _pool();
        (p.tokenA, p.tokenB) = (p.tokenB, p.tokenA);
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.NotAPool.selector, uint8(0)));
        rollup.exitLiquidity(s, p);
        p = _pool();
        p.pool = 1;
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.NotLpShares.selector, s.token));
        rollup.exitLiquidity(s, p);
        p = _pool();
        s.balance += 1;
        vm.expectRevert(ZkrRollup.InvalidExitProof.selector);
        rollup.exitLiquidity(s, p);
        // shares are not an L1 token: the plain exit refuses them
        vm.expectRevert(abi.encodeWithSelector(ZkrRollup.TokenNotRegistered.selector, address(0)));
        rollup.exit(_share(0));
        // and the pool's own leaf is nobody's to exit
        ZkrRollup.ExitProof memory poolLeaf;
        poolLeaf.accountId = uint32(rollup.POOL_ACCOUNT_BASE());
        vm.expectRevert(ZkrRollup.ZeroAddress.selector);
        rollup.exit(poolLeaf);
    }

    function test_onlyInExodusMode() public {
        ExodusHarness fresh = new ExodusHarness(rollup.verifier(), rollup.poseidon4(), rollup.poseidon6());
        ZkrRollup.ExitProof memory s = _share(0);
        ZkrRollup.PoolProof memory p = _pool();
        vm.expectRevert(ZkrRollup.NotInExodusMode.selector);
        fresh.exitLiquidity(s, p);
    }
}

/// @notice Random exodus exits of the fixture's providers, in any order and repeated, forged
/// or not.
contract PoolExitHandler {
    ExodusHarness public rollup;
    ZkrRollup.ExitProof[2] internal shares;
    ZkrRollup.PoolProof internal pool;
    uint256 public creditedA;
    uint256 public creditedB;
    uint256 public exits;

    constructor(ExodusHarness rollup_, ZkrRollup.ExitProof[2] memory shares_, ZkrRollup.PoolProof memory pool_) {
        rollup = rollup_;
        shares[0] = shares_[0];
        shares[1] = shares_[1];
        pool = pool_;
    }

    function exitShares(uint8 who, uint8 forge, uint128 delta) external {
        ZkrRollup.ExitProof memory s = shares[who % 2];
        ZkrRollup.PoolProof memory p = pool;
        if (forge % 4 == 1) p.reserveA += delta;
        if (forge % 4 == 2) p.supply = delta;
        if (forge % 4 == 3) s.balance += delta;
        uint256 beforeA = rollup.totalPending(p.tokenA);
        uint256 beforeB = rollup.totalPending(p.tokenB);
        try rollup.exitLiquidity(s, p) {
            exits++;
            creditedA += rollup.totalPending(p.tokenA) - beforeA;
            creditedB += rollup.totalPending(p.tokenB) - beforeB;
        } catch {}
    }

    function plainExit(uint8 who) external {
        try rollup.exit(shares[who % 2]) {
            exits += 100; // never: shares are not an L1 token
        } catch {}
    }

    function reserves() external view returns (uint128, uint128) {
        return (pool.reserveA, pool.reserveB);
    }
}

contract ZkrRollupPoolExitInvariantTest is ZkrRollupLiquidityExitTest {
    PoolExitHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new PoolExitHandler(rollup, [_share(0), _share(1)], _pool());
        targetContract(address(handler));
    }

    /// What exodus pays out of a pool stays within its reserves, and each provider exits once.
    function invariant_poolExitsStayWithinTheReserves() public view {
        (uint128 ra, uint128 rb) = handler.reserves();
        assertTrue(handler.creditedA() < ra && handler.creditedB() < rb, "paid more than the pool holds");
        assertTrue(handler.exits() <= 2, "a provider exited twice, or shares through the plain exit");
    }
}
