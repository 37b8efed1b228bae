//! alloy bindings of the L1 contracts (`contracts/src`), declared from their Solidity
//! interface. `tests/deploy.rs` checks them against the real contracts on anvil.

#![allow(missing_docs)]

use alloy::sol;

sol! {
    #[sol(rpc)]
    contract ZkrRollup {
        struct CommitBatchInput {
            uint256 newRoot;
            uint256 pubdataHash;
            uint32 feeAccount;
            bytes pubdata;
            bytes[] ethSignatures;
        }

        struct OnchainOp {
            address owner;
            uint16 token;
            uint128 amount;
        }

        struct ExitProof {
            uint32 accountId;
            address owner;
            uint256 pubkeyHash;
            uint32 nonce;
            uint16 token;
            uint128 balance;
            uint256[3][4] balancePath;
            uint256[3][12] accountPath;
        }

        struct PoolProof {
            uint8 pool;
            uint16 tokenA;
            uint16 tokenB;
            uint128 reserveA;
            uint128 reserveB;
            uint128 supply;
            uint256[3][4] pathA;
            uint256[3][4] pathB;
            uint256[3][4] pathShares;
            uint256[3][12] accountPath;
        }

        constructor(
            address verifier,
            address dexVerifier,
            address poseidon4,
            address poseidon6,
            address operator,
            uint32 chainId,
            uint64 priorityDeadline,
            uint128 priorityFee,
            uint256 genesisRoot
        );

        event TokenRegistered(uint16 indexed tokenId, address indexed token);
        event PriorityOpAdded(uint64 indexed index, uint8 opType, bytes32 hash, uint64 expiresAt);
        event DepositRequested(uint64 indexed priorityIndex, address indexed from, address indexed to, uint16 token, uint128 amount);
        event FullExitRequested(uint64 indexed priorityIndex, address indexed owner, uint32 accountId, uint16 token);
        event BatchCommitted(uint64 indexed batchNumber, uint256 commitment, uint256 newRoot, uint64 priorityOpsEnd);
        event BatchProven(uint64 indexed batchNumber);
        event BatchExecuted(uint64 indexed batchNumber, uint256 newRoot);
        event BatchesReverted(uint64 newTotalBatchesCommitted);
        event PendingBalanceCredited(address indexed owner, uint16 indexed token, uint128 amount);
        event Withdrawal(address indexed owner, uint16 indexed token, uint128 amount);
        event WithdrawalTo(address indexed owner, address indexed recipient, uint16 indexed token, uint128 amount);
        event PriorityFeesEarned(uint64 indexed batchNumber, uint128 amount);
        event ExodusModeActivated(uint64 expiredPriorityIndex);
        event ExodusExit(uint32 indexed accountId, address indexed owner, uint16 token, uint128 amount);
        event LiquidityExit(uint32 indexed accountId, address indexed owner, uint8 indexed pool, uint128 shares, uint128 amountA, uint128 amountB);
        event DepositRefunded(uint64 indexed priorityIndex, address indexed to, uint16 token, uint128 amount);
        event PriorityFeeRefunded(uint64 indexed priorityIndex, address indexed payer, uint128 amount);

        error NotInExodusMode();
        error ExodusModeActive();
        error NoExpiredPriorityOp();
        error AlreadyExited();
        error InvalidExitProof();
        error NotARefundableDeposit(uint64 index);
        error NotARefundableFee(uint64 index);
        error ZeroAddress();
        error NotAPool(uint8 pool);
        error NotLpShares(uint16 token);
        error TokenNotRegistered(address token);

        function depositETH(address to) external payable;
        function depositERC20(address token, uint128 amount, address to) external payable;
        function requestFullExit(uint32 accountId, address token) external payable;
        function priorityFee() external view returns (uint128);
        function insecureDevVerifier() external view returns (bool);
        function getPendingBalance(address owner, address token) external view returns (uint128);
        function withdrawPendingBalance(address owner, address token, uint128 amount) external;
        function withdrawPendingBalanceTo(address token, uint128 amount, address recipient) external;
        function totalBatchesCommitted() external view returns (uint64);
        function totalBatchesProven() external view returns (uint64);
        function totalBatchesExecuted() external view returns (uint64);
        function exodusMode() external view returns (bool);
        function activateExodusMode() external;
        function registerToken(address token) external;
        function tokenId(address token) external view returns (uint16);
        function totalTokens() external view returns (uint256);
        function totalPriorityOps() external view returns (uint64);
        function committedPriorityOps() external view returns (uint64);
        function firstUnexecutedPriorityOp() external view returns (uint64);
        function totalPending(uint16 token) external view returns (uint256);
        function depositRecords(uint64 index) external view returns (address to, uint16 token, uint128 amount);
        function tokens(uint256 index) external view returns (address);
        function lastExecutedRoot() external view returns (uint256);
        function commitBatch(CommitBatchInput calldata b) external;
        function proveBatch(uint64 batchNumber, uint256[2] calldata a, uint256[2][2] calldata b, uint256[2] calldata c) external;
        function proveDexBatch(uint64 batchNumber, uint256[2] calldata a, uint256[2][2] calldata b, uint256[2] calldata c) external;
        function executeBatch(uint64 batchNumber, OnchainOp[] calldata ops) external;
        function revertBatches(uint64 newTotalBatchesCommitted) external;
        function batches(uint64 number) external view returns (uint256 commitment, uint256 newRoot, bytes32 onchainOpsHash, uint64 priorityOpsEnd);
        function operator() external view returns (address);
        function chainId() external view returns (uint32);
        function priorityDeadline() external view returns (uint64);
        function priorityOps(uint64 index) external view returns (bytes32 hash, uint64 expiresAt, uint8 opType, address payer);
        function exited(uint32 accountId, uint16 token) external view returns (bool);
        function depositRefunded(uint64 index) external view returns (bool);
        function exit(ExitProof calldata p) external;
        function exitLiquidity(ExitProof calldata share, PoolProof calldata pool) external;
        function refundDeposit(uint64 priorityIndex) external;
        function refundPriorityFee(uint64 priorityIndex) external;
    }
}

sol! {
    /// An ERC-20 as zkr uses it (the devnet's `DevToken` also mints).
    #[sol(rpc)]
    contract DevToken {
        constructor(string name_, string symbol_, uint8 decimals_);
        function name() external view returns (string);
        function symbol() external view returns (string);
        function decimals() external view returns (uint8);
        function balanceOf(address owner) external view returns (uint256);
        function allowance(address owner, address spender) external view returns (uint256);
        function approve(address spender, uint256 amount) external returns (bool);
        function mint(address to, uint256 amount) external;
    }
}
