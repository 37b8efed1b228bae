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
