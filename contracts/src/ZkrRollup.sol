// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {IZkrVerifier} from "./interfaces/IZkrVerifier.sol";
import {IPoseidon4, IPoseidon6} from "./interfaces/IPoseidon.sol";
import {IERC20} from "./interfaces/IERC20.sol";
import {Pubdata} from "./libraries/Pubdata.sol";

/// @title zkr rollup: bridge, priority queue, batch lifecycle, withdrawals, exodus mode.
/// @notice Holds the locked funds (TVL). Every rule here is from docs/protocol.md; batches are
/// committed with their pubdata, proven with a Groth16 proof of the batch commitment (§6),
/// and executed, which credits withdrawals and full exits to pending balances (pull pattern).
contract ZkrRollup {
    // ------------------------------------------------------------------ constants

    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice L1 tokens (ids 0..127); ids 128..255 are the pools' LP tokens (§3.4).
    uint256 public constant MAX_TOKENS = 128;
    /// @notice Pools live at the last 128 account ids; pool p's LP token is 128 + p (§3.5).
    uint256 public constant MAX_POOLS = 128;
    uint256 public constant POOL_ACCOUNT_BASE = (1 << 24) - 128;
    uint256 public constant LP_TOKEN_BASE = 128;
    uint256 public constant MAX_ACCOUNTS = 1 << 24;
    uint256 internal constant ACCOUNT_TREE_DEPTH = 12;
    uint256 internal constant BALANCE_TREE_DEPTH = 4;
    bytes32 internal constant CHANGE_PUBKEY_TYPEHASH =
        keccak256("ChangePubKey(bytes32 pubKeyHash,uint32 nonce,uint32 accountId)");
    /// @notice Bounds of `priorityDeadline`: long enough for the operator to serve a request,
    /// short enough that a censored user reaches exodus in weeks, not never.
    uint64 public constant MIN_PRIORITY_DEADLINE = 1 hours;
    uint64 public constant MAX_PRIORITY_DEADLINE = 30 days;
    /// @notice A priority operation's deadline is at least this long after the previous one's,
    /// so deadlines cannot pile up faster than the operator serves them (see docs/contracts.md).
    uint64 public constant PRIORITY_OP_SPACING = 2 seconds;
    /// @notice Upper bound of `priorityFee`, so a deployer cannot price users out of forced exits.
    uint128 public constant MAX_PRIORITY_FEE = 0.01 ether;
    /// @notice Root of the empty state tree (docs/protocol.md §3.1).
    uint256 public constant EMPTY_TREE_ROOT =
        2085863352650296154416834486414885723450625110950859991172633032032759168625;
    /// @dev Root of an empty balance tree, and of an empty account subtree per level (index =
    /// levels above the leaves; 0 is the empty leaf). Checked against Poseidon in the tests.
    uint256 internal constant EMPTY_BALANCE_ROOT =
        7166733538749145097044835779501529184583030407883999216862943858482812218900;

    // ------------------------------------------------------------------ configuration

    /// @notice Verifier of the transfer circuit (batches without DEX operations).
    IZkrVerifier public immutable verifier;
    /// @notice Verifier of the DEX circuit, whose union slots prove every operation type
    /// (docs/prover.md). Both prove the same batch commitment.
    IZkrVerifier public immutable dexVerifier;
    IPoseidon4 public immutable poseidon4;
    IPoseidon6 public immutable poseidon6;
    /// @notice The zkr chain id every L2 signature commits to.
    uint32 public immutable chainId;
    /// @notice Seconds a priority operation may wait before exodus mode can be activated.
    uint64 public immutable priorityDeadline;
    /// @notice The account that commits batches and registers tokens.
    address public immutable operator;
    /// @notice Wei every priority operation (deposit, full exit) pays in `msg.value`: what serving
    /// it costs the operator, who is paid when the batch processing it executes.
    uint128 public immutable priorityFee;
    /// @notice `extcodehash` of the verifier and of Poseidon at deployment, for users to check
    /// against what they trust (`zkr circuit export-verifier`, circomlib's bytecode).
    bytes32 public immutable verifierCodeHash;
    bytes32 public immutable dexVerifierCodeHash;
    bytes32 public immutable poseidon4CodeHash;
    bytes32 public immutable poseidon6CodeHash;
    /// @notice True when either verifier's keys come from the insecure dev setup: anyone can forge
    /// proofs, so this deployment must never hold real funds.
    bool public immutable insecureDevVerifier;
    /// @dev EIP-712 domain separator at deployment, and the chain it is for (see
    /// `DOMAIN_SEPARATOR()`).
    bytes32 private immutable deployedDomainSeparator;
    uint256 private immutable deployedChainId;

    // ------------------------------------------------------------------ state

    /// @notice Token addresses by id; id 0 is ETH (address(0)).
    address[] public tokens;
    mapping(address => uint16) internal tokenIdPlusOne;
    /// @notice Amount of each token deposited and not yet paid out by an executed batch (what L2
    /// and the queue hold). With `totalPending` it is kept below 2^128, so no L2 or pending
    /// balance overflows. Withdrawals free the cap: cycling funds in and out cannot lock a token
    /// out of deposits.
    mapping(uint16 => uint256) public totalDeposited;

    struct PriorityOp {
        bytes32 hash;
        uint64 expiresAt;
        uint8 opType;
        /// @dev who paid its fee (refunded in exodus if no batch processed it); 0 once refunded
        address payer;
    }

    struct DepositRecord {
        address to;
        uint16 token;
        uint128 amount;
    }

    mapping(uint64 => PriorityOp) public priorityOps;
    mapping(uint64 => DepositRecord) public depositRecords;
    /// @notice Priority operations ever requested.
    uint64 public totalPriorityOps;
    /// @notice Priority operations consumed by committed batches.
    uint64 public committedPriorityOps;
    /// @notice First priority operation not yet executed.
    uint64 public firstUnexecutedPriorityOp;

    struct StoredBatch {
        uint256 commitment;
        uint256 newRoot;
        bytes32 onchainOpsHash;
        uint64 priorityOpsEnd;
    }

    mapping(uint64 => StoredBatch) public batches;
    uint64 internal batchesCommitted;
    uint64 internal batchesProven;
    uint64 internal batchesExecuted;
    /// @notice State root after the last executed batch (genesis root at first).
    uint256 public lastExecutedRoot;

    mapping(address => mapping(uint16 => uint128)) internal pendingBalances;
    /// @notice Sum of pending balances per token.
    mapping(uint16 => uint256) public totalPending;

    bool internal exodus;
    mapping(uint32 => mapping(uint16 => bool)) public exited;
    mapping(uint64 => bool) public depositRefunded;

    uint256 private locked = 1;

    // ------------------------------------------------------------------ events

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
    event PriorityFeeRefunded(uint64 indexed priorityIndex, address indexed payer, uint128 amount);
    /// @notice Emitted at deployment when the verifier's keys are the public dev keys.
    event InsecureDevVerifier(address verifier);
    event ExodusModeActivated(uint64 expiredPriorityIndex);
    event ExodusExit(uint32 indexed accountId, address indexed owner, uint16 token, uint128 amount);
    event LiquidityExit(
        uint32 indexed accountId, address indexed owner, uint8 indexed pool, uint128 shares, uint128 amountA, uint128 amountB
    );
    event DepositRefunded(uint64 indexed priorityIndex, address indexed to, uint16 token, uint128 amount);

    // ------------------------------------------------------------------ errors

    error NotOperator();
    error Reentrancy();
    error ExodusModeActive();
    error NotInExodusMode();
    error ZeroAddress();
    error ZeroAmount();
    error AmountTooLarge();
    error TokenNotRegistered(address token);
    error TokenAlreadyRegistered(address token);
    error TooManyTokens();
    error DepositCapExceeded(uint16 token);
    error AccountIdOutOfRange(uint32 accountId);
    error TransferFailed();
    error InsufficientPendingBalance(uint128 available, uint128 requested);
    error WrongBatchNumber(uint64 expected, uint64 given);
    error NotInField();
    error FeeAccountOutOfRange();
    error PriorityOpMismatch(uint256 offset, uint64 index);
    error NotEnoughPriorityOps(uint256 offset);
    error MissingEthSignature(uint256 offset);
    error InvalidEthSignature(uint256 offset);
    error InvalidProof();
    error BatchNotCommitted(uint64 batchNumber);
    error BatchNotProven(uint64 batchNumber);
    error OnchainOpsMismatch();
    error CannotRevertProvenBatch();
    error NoExpiredPriorityOp();
    error AlreadyExited();
    error InvalidExitProof();
    error NotARefundableDeposit(uint64 index);
    error NoCode(address target);
    error PriorityDeadlineOutOfRange(uint64 deadline);
    error PriorityFeeOutOfRange(uint128 fee);
    error WrongPriorityFee(uint128 required, uint256 given);
    error DepositBelowMinimum(uint256 minimum, uint256 given);
    error TokenBalanceShrank(uint16 token, uint256 held, uint256 owed);
    error NotAGenesisRoot(uint256 root);
    error NotARefundableFee(uint64 index);
    error NotAPool(uint8 pool);
    error NotLpShares(uint16 token);
    error UnknownToken(uint16 token);

    // ------------------------------------------------------------------ setup

    /// @param priorityFee_ wei each priority operation pays, at most `MAX_PRIORITY_FEE`.
    /// @param genesisRoot the state root to start from: the empty tree (`EMPTY_TREE_ROOT`), or
    /// the empty tree with the operator's fee account (owner `operator_`, nothing else) at id 0.
    /// Nothing else is accepted: a deployer cannot give itself a balance to exit with.
    constructor(
        IZkrVerifier verifier_,
        IZkrVerifier dexVerifier_,
        IPoseidon4 poseidon4_,
        IPoseidon6 poseidon6_,
        address operator_,
        uint32 chainId_,
        uint64 priorityDeadline_,
        uint128 priorityFee_,
        uint256 genesisRoot
    ) {
        if (operator_ == address(0)) revert ZeroAddress();
        if (address(verifier_).code.length == 0) revert NoCode(address(verifier_));
        if (address(dexVerifier_).code.length == 0) revert NoCode(address(dexVerifier_));
        if (address(poseidon4_).code.length == 0) revert NoCode(address(poseidon4_));
        if (address(poseidon6_).code.length == 0) revert NoCode(address(poseidon6_));
        if (priorityDeadline_ < MIN_PRIORITY_DEADLINE || priorityDeadline_ > MAX_PRIORITY_DEADLINE) {
            revert PriorityDeadlineOutOfRange(priorityDeadline_);
        }
        if (priorityFee_ > MAX_PRIORITY_FEE) revert PriorityFeeOutOfRange(priorityFee_);
        verifier = verifier_;
        dexVerifier = dexVerifier_;
        poseidon4 = poseidon4_;
        poseidon6 = poseidon6_;
        operator = operator_;
        chainId = chainId_;
        priorityDeadline = priorityDeadline_;
        priorityFee = priorityFee_;
        if (genesisRoot != EMPTY_TREE_ROOT && genesisRoot != _rootWithFeeAccount(poseidon4_, operator_)) {
            revert NotAGenesisRoot(genesisRoot);
        }
        verifierCodeHash = address(verifier_).codehash;
        dexVerifierCodeHash = address(dexVerifier_).codehash;
        poseidon4CodeHash = address(poseidon4_).codehash;
        poseidon6CodeHash = address(poseidon6_).codehash;
        // Every generated verifier answers; one that does not is not ours.
        bool insecure = verifier_.INSECURE_DEV_SETUP();
        bool insecureDex = dexVerifier_.INSECURE_DEV_SETUP();
        insecureDevVerifier = insecure || insecureDex;
        if (insecure) emit InsecureDevVerifier(address(verifier_));
        if (insecureDex) emit InsecureDevVerifier(address(dexVerifier_));
        lastExecutedRoot = genesisRoot;
        batches[0].newRoot = genesisRoot;
        tokens.push(address(0));
        tokenIdPlusOne[address(0)] = 1;
        deployedChainId = block.chainid;
        deployedDomainSeparator = _domainSeparator();
        emit TokenRegistered(0, address(0));
    }

    /// @dev The empty tree with leaf 0 = (owner, key hash 0, nonce 0, empty balances): 13 hashes.
    function _rootWithFeeAccount(IPoseidon4 p4, address owner) internal pure returns (uint256 node) {
        node = p4.poseidon([uint256(uint160(owner)), 0, 0, EMPTY_BALANCE_ROOT]);
        for (uint256 level = 0; level < ACCOUNT_TREE_DEPTH; level++) {
            uint256 e = _emptyAccountSubtree(level);
            node = p4.poseidon([node, e, e, e]);
        }
    }

    /// @dev Root of an empty account subtree `level` levels above the leaves.
    function _emptyAccountSubtree(uint256 level) internal pure returns (uint256) {
        uint256[12] memory e = [
            787681627911494947260045977380234427373464113145165708066504417781307716591,
            2466582552511595902978317205536551384171665322924187048238481864198477179261,
            8862501260441400414104121305826789099733517581674595892838967154102969331772,
            12699661315478278360324396091849944057392621371641226982853217193063954636605,
            11618539252164253774613262252971441188583746496529020712116580791521166409756,
            10167662087164543863853685508201313590280643088180645955659288947846587672276,
            6367188759298850360304916160514082477215903315095406307698651398780582582904,
            21128257454323522357397052031888265513518591074394203585277752676177238706035,
            16932150780571543534179004090655301050662666901939760169777928748586960079677,
            3528992773266604807377149485572487208055663052772036098630017975863606964651,
            10038427894658308657397129482816901558485493108468764179141994736408339719148,
            7352198249738899349184858499070621952590327377726339829759542139633326607573
        ];
        return e[level];
    }

    /// @notice EIP-712 domain separator of ChangePubKey authorizations on the current chain: after
    /// a fork it follows `block.chainid`, so an authorization does not replay on the other fork.
    function DOMAIN_SEPARATOR() public view returns (bytes32) {
        return block.chainid == deployedChainId ? deployedDomainSeparator : _domainSeparator();
    }

    function _domainSeparator() internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("zkr"),
                keccak256("1"),
                block.chainid,
                address(this)
            )
        );
    }

    modifier onlyOperator() {
        if (msg.sender != operator) revert NotOperator();
        _;
    }

    modifier nonReentrant() {
        if (locked != 1) revert Reentrancy();
        locked = 2;
        _;
        locked = 1;
    }

    modifier notExodus() {
        if (exodus) revert ExodusModeActive();
        _;
    }

    // ------------------------------------------------------------------ views

    function totalBatchesCommitted() external view returns (uint64) {
        return batchesCommitted;
    }

    function totalBatchesProven() external view returns (uint64) {
        return batchesProven;
    }

    function totalBatchesExecuted() external view returns (uint64) {
        return batchesExecuted;
    }

    function exodusMode() external view returns (bool) {
        return exodus;
    }

    /// @notice Pending (withdrawable) balance of `owner` in `token` (ETH is address(0)).
    function getPendingBalance(address owner, address token) external view returns (uint128) {
        return pendingBalances[owner][tokenId(token)];
    }

    /// @notice The id of a registered token; reverts for unregistered ones.
    function tokenId(address token) public view returns (uint16) {
        uint16 idPlusOne = tokenIdPlusOne[token];
        if (idPlusOne == 0) revert TokenNotRegistered(token);
        return idPlusOne - 1;
    }

    function totalTokens() external view returns (uint256) {
        return tokens.length;
    }

    // ------------------------------------------------------------------ tokens

    /// @notice Registers an ERC-20 token under the next id. Policy (docs/contracts.md): tokens
    /// whose balances change without transfers are not registered; fee-on-transfer tokens are
    /// credited what arrives; a token found holding less than the contract owes takes no more
    /// deposits (`TokenBalanceShrank`).
    function registerToken(address token) external onlyOperator notExodus {
        if (token == address(0)) revert ZeroAddress();
        if (token.code.length == 0) revert NoCode(token);
        if (tokenIdPlusOne[token] != 0) revert TokenAlreadyRegistered(token);
        if (tokens.length >= MAX_TOKENS) revert TooManyTokens();
        uint16 id = uint16(tokens.length);
        tokens.push(token);
        tokenIdPlusOne[token] = id + 1;
        emit TokenRegistered(id, token);
    }

    // ------------------------------------------------------------------ deposits and exits

    /// @notice Deposits `msg.value - priorityFee` wei to `to` on L2. The deposit must be at least
    /// the fee: nobody pays more to process a deposit than it is worth.
    function depositETH(address to) external payable nonReentrant notExodus {
        uint256 minimum = uint256(priorityFee) * 2;
        if (msg.value < minimum) revert DepositBelowMinimum(minimum, msg.value);
        uint256 amount = msg.value - priorityFee;
        if (amount > type(uint128).max) revert AmountTooLarge();
        _deposit(to, 0, uint128(amount));
    }

    /// @notice Deposits `amount` of `token`; the amount credited is what the contract received.
    /// `msg.value` must be exactly `priorityFee`.
    function depositERC20(address token, uint128 amount, address to) external payable nonReentrant notExodus {
        _requireFee();
        uint16 id = tokenId(token);
        if (id == 0) revert TokenNotRegistered(token);
        uint256 before = IERC20(token).balanceOf(address(this));
        // A token whose balances shrink on their own (negative rebase, slashing) leaves the
        // contract owing more than it holds: no new deposits once that shows (docs/contracts.md).
        uint256 owed = totalDeposited[id] + totalPending[id];
        if (before < owed) revert TokenBalanceShrank(id, before, owed);
        _safeTransferFrom(token, msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        if (received > type(uint128).max) revert AmountTooLarge();
        _deposit(to, id, uint128(received));
    }

    function _requireFee() internal view {
        if (msg.value != priorityFee) revert WrongPriorityFee(priorityFee, msg.value);
    }

    function _deposit(address to, uint16 token, uint128 amount) internal {
        if (to == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        uint256 total = totalDeposited[token] + amount;
        // What L2, the queue and the pending balances hold together stays below 2^128: no L2
        // balance and no (uint128) pending balance can overflow, so no credit ever reverts and
        // jams `executeBatch`.
        if (total + totalPending[token] > type(uint128).max) revert DepositCapExceeded(token);
        totalDeposited[token] = total;
        bytes32 hash = keccak256(abi.encodePacked(Pubdata.DEPOSIT, to, uint8(token), amount));
        uint64 index = _addPriorityOp(Pubdata.DEPOSIT, hash);
        depositRecords[index] = DepositRecord(to, token, amount);
        emit DepositRequested(index, msg.sender, to, token, amount);
    }

    /// @notice Asks the operator to move the whole balance of `token` in `accountId` to L1;
    /// pays only if `msg.sender` owns the account. `msg.value` must be exactly `priorityFee`.
    function requestFullExit(uint32 accountId, address token) external payable nonReentrant notExodus {
        _requireFee();
        if (accountId >= MAX_ACCOUNTS) revert AccountIdOutOfRange(accountId);
        uint16 id = tokenId(token);
        bytes32 hash = keccak256(abi.encodePacked(Pubdata.FULL_EXIT, uint24(accountId), msg.sender, uint8(id)));
        uint64 index = _addPriorityOp(Pubdata.FULL_EXIT, hash);
        emit FullExitRequested(index, msg.sender, accountId, id);
    }

    /// @dev Queues a priority operation. Its deadline is `priorityDeadline` from now, but never
    /// less than `PRIORITY_OP_SPACING` after that of the previous operation still waiting: a
    /// burst of N requests gives the operator `priorityDeadline + (N - 1) * PRIORITY_OP_SPACING`
    /// to serve the last of them. Served operations push nothing back: a burst the operator has
    /// executed cannot stretch a later request's deadline.
    function _addPriorityOp(uint8 opType, bytes32 hash) internal returns (uint64 index) {
        index = totalPriorityOps;
        uint64 expiresAt = uint64(block.timestamp) + priorityDeadline;
        if (index > firstUnexecutedPriorityOp) {
            uint64 spaced = priorityOps[index - 1].expiresAt + PRIORITY_OP_SPACING;
            if (spaced > expiresAt) expiresAt = spaced;
        }
        priorityOps[index] = PriorityOp(hash, expiresAt, opType, msg.sender);
        totalPriorityOps = index + 1;
        emit PriorityOpAdded(index, opType, hash, expiresAt);
    }

    // ------------------------------------------------------------------ withdrawals

    /// @notice Pays `amount` of `owner`'s pending balance in `token` to `owner`. Anyone may call
    /// (it only ever pays the owner what is theirs, e.g. for a relayer paying the gas).
    function withdrawPendingBalance(address payable owner, address token, uint128 amount) external nonReentrant {
        uint16 id = _debitPending(owner, token, amount);
        _pay(id, token, owner, amount);
        emit Withdrawal(owner, id, amount);
    }

    /// @notice Pays `amount` of the caller's pending balance in `token` to `recipient`: for an
    /// owner that cannot receive (a contract that reverts, a holder the token blocks).
    function withdrawPendingBalanceTo(address token, uint128 amount, address payable recipient)
        external
        nonReentrant
    {
        if (recipient == address(0)) revert ZeroAddress();
        uint16 id = _debitPending(msg.sender, token, amount);
        _pay(id, token, recipient, amount);
        emit WithdrawalTo(msg.sender, recipient, id, amount);
    }

    function _debitPending(address owner, address token, uint128 amount) internal returns (uint16 id) {
        id = tokenId(token);
        uint128 available = pendingBalances[owner][id];
        if (amount > available) revert InsufficientPendingBalance(available, amount);
        if (amount == 0) revert ZeroAmount();
        pendingBalances[owner][id] = available - amount;
        totalPending[id] -= amount;
    }

    function _pay(uint16 id, address token, address payable to, uint128 amount) internal {
        if (id == 0) {
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert TransferFailed();
        } else {
            _safeTransfer(token, to, amount);
        }
    }

    function _credit(address owner, uint16 token, uint128 amount) internal {
        if (amount == 0) return;
        // Nobody could ever spend a pending balance of address(0): refuse to create one.
        if (owner == address(0)) revert ZeroAddress();
        pendingBalances[owner][token] += amount;
        totalPending[token] += amount;
        emit PendingBalanceCredited(owner, token, amount);
    }

    // ------------------------------------------------------------------ batches

    struct CommitBatchInput {
        uint256 newRoot;
        /// @dev `H`, the Poseidon chain over the pubdata elements, as the operator computed it.
        uint256 pubdataHash;
        uint32 feeAccount;
        bytes pubdata;
        /// @dev One EIP-712 signature (r || s || v) per ChangePubKey, in order.
        bytes[] ethSignatures;
    }

    /// @notice Commits the next batch: checks its priority operations against the queue and its
    /// ChangePubKey authorizations, and stores its commitment (§6).
    function commitBatch(CommitBatchInput calldata b) external onlyOperator notExodus {
        if (b.newRoot >= R || b.pubdataHash >= R) revert NotInField();
        if (b.feeAccount >= MAX_ACCOUNTS) revert FeeAccountOutOfRange();
        uint64 number = batchesCommitted + 1;
        uint256 oldRoot = batches[number - 1].newRoot;
        uint256 z = uint256(keccak256(abi.encodePacked(b.pubdataHash, keccak256(b.pubdata)))) % R;
        (uint256 y, bytes32 onchainOps, uint64 priorityEnd) = _processPubdata(b, z);
        uint256 meta = uint256(number) | (uint256(chainId) << 64) | (uint256(b.feeAccount) << 96);
        uint256 commitment = poseidon6.poseidon([meta, oldRoot, b.newRoot, b.pubdataHash, z, y]);
        batches[number] = StoredBatch(commitment, b.newRoot, onchainOps, priorityEnd);
        batchesCommitted = number;
        committedPriorityOps = priorityEnd;
        emit BatchCommitted(number, commitment, b.newRoot, priorityEnd);
    }

    /// @dev Running values of the pubdata pass.
    struct Cursor {
        uint256 y;
        bytes32 onchainOps;
        uint64 nextPriority;
        uint256 sigIndex;
    }

    function _processPubdata(CommitBatchInput calldata b, uint256 z)
        internal
        view
        returns (uint256 y, bytes32 onchainOps, uint64 nextPriority)
    {
        bytes calldata data = b.pubdata;
        Cursor memory c = Cursor(0, bytes32(0), committedPriorityOps, 0);
        uint256 off;
        uint256 n = data.length;
        uint256 acc;
        while (off < n) {
            uint256 word;
            assembly {
                word := calldataload(add(data.offset, off))
            }
            // Fast paths: a Transfer or a DEX operation is one element, its `len` bytes
            // right-padded to 31 (docs/protocol.md §6), and L1 checks nothing else. Transfers,
            // the most common, first with constant shifts: 40 gas less each than the table
            // lookup below (`node scripts/bench-l1-gas.js 1000`).
            if (word >> 248 == Pubdata.TRANSFER) {
                if (off + 15 > n) revert Pubdata.TruncatedPubdata(off);
                assembly {
                    acc := addmod(mulmod(acc, z, R), shl(128, shr(136, word)), R)
                }
                unchecked {
                    off += 15;
                }
                continue;
            }
            uint256 len = Pubdata.plainLength(word >> 248);
            if (len != 0) {
                if (off + len > n) revert Pubdata.TruncatedPubdata(off);
                assembly {
                    let bits := shl(3, len)
                    acc := addmod(mulmod(acc, z, R), shl(sub(248, bits), shr(sub(256, bits), word)), R)
                }
                unchecked {
                    off += len;
                }
                continue;
            }
            c.y = acc;
            off = _otherOp(b, off, z, c);
            acc = c.y;
        }
        return (acc, c.onchainOps, c.nextPriority);
    }

    /// @dev Every operation but the plain ones (`Pubdata.plainLength`): its elements, and what L1
    /// checks of it. A plain operation never reaches here: to give one an L1 check, take it out
    /// of `Pubdata.PLAIN_OP_LENGTHS` first.
    function _otherOp(CommitBatchInput calldata b, uint256 off, uint256 z, Cursor memory c)
        internal
        view
        returns (uint256)
    {
        bytes calldata data = b.pubdata;
        uint8 opType = uint8(data[off]);
        uint256 len = Pubdata.opLength(opType);
        if (len == 0) revert Pubdata.UnknownOpType(off, opType);
        if (off + len > data.length) revert Pubdata.TruncatedPubdata(off);
        uint256 first = len < 31 ? len : 31;
        c.y = addmod(mulmod(c.y, z, R), Pubdata.piece(data, off, first), R);
        if (len > 31) {
            uint256 e1;
            if (opType == Pubdata.CHANGE_PUBKEY) {
                e1 = Pubdata.readUint(data, off + 31, 32);
                if (e1 >= R) revert Pubdata.PubkeyHashNotInField(off);
            } else {
                e1 = Pubdata.piece(data, off + 31, len - 31);
            }
            c.y = addmod(mulmod(c.y, z, R), e1, R);
        }
        if (opType == Pubdata.DEPOSIT) {
            // account(3) owner(20) token(1) amount(16): the queue's next deposit
            _checkPriority(c.nextPriority, keccak256(abi.encodePacked(Pubdata.DEPOSIT, data[off + 4:off + 41])), off);
            c.nextPriority++;
        } else if (opType == Pubdata.FULL_EXIT) {
            // account(3) owner(20) token(1) amount(16)
            _checkPriority(c.nextPriority, keccak256(abi.encodePacked(Pubdata.FULL_EXIT, data[off + 1:off + 25])), off);
            c.nextPriority++;
            c.onchainOps = keccak256(
                abi.encodePacked(
                    c.onchainOps,
                    Pubdata.readAddress(data, off + 4),
                    uint16(Pubdata.readUint(data, off + 24, 1)),
                    uint128(Pubdata.readUint(data, off + 25, 16))
                )
            );
        } else if (opType == Pubdata.WITHDRAW) {
            // account(3) token(1) amount(16) fee(2) to(20); the circuit refuses `to` = 0 too
            if (Pubdata.readAddress(data, off + 23) == address(0)) revert ZeroAddress();
            // an LP token or an unregistered id has nothing on L1 to pay: refused at commit, so
            // that no committed batch can make executeBatch revert forever
            uint16 token = uint16(Pubdata.readUint(data, off + 4, 1));
            if (token >= tokens.length) revert UnknownToken(token);
            c.onchainOps = keccak256(
                abi.encodePacked(
                    c.onchainOps,
                    Pubdata.readAddress(data, off + 23),
                    token,
                    uint128(Pubdata.readUint(data, off + 5, 16))
                )
            );
        } else if (opType == Pubdata.CHANGE_PUBKEY) {
            if (c.sigIndex >= b.ethSignatures.length) revert MissingEthSignature(off);
            _checkKeyAuthorization(data, off, b.ethSignatures[c.sigIndex]);
            c.sigIndex++;
        }
        return off + len;
    }

    /// @dev ChangePubKey at `off`: account(3) owner(20) nonce(4) feeToken(1) fee(2) pkh(32); the
    /// owner's EIP-712 signature must authorize exactly this key, nonce and account.
    function _checkKeyAuthorization(bytes calldata data, uint256 off, bytes calldata sig) internal view {
        bytes32 structHash = keccak256(
            abi.encode(
                CHANGE_PUBKEY_TYPEHASH,
                bytes32(Pubdata.readUint(data, off + 31, 32)),
                uint32(Pubdata.readUint(data, off + 24, 4)),
                uint32(Pubdata.readUint(data, off + 1, 3))
            )
        );
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", DOMAIN_SEPARATOR(), structHash));
        // address(0) owns nothing: an owner-less leaf is empty or a special account, and a
        // malformed signature "recovers" to address(0). Neither authorizes anything.
        address owner = Pubdata.readAddress(data, off + 4);
        address signer = _recover(digest, sig);
        if (owner == address(0) || signer == address(0) || signer != owner) revert InvalidEthSignature(off);
    }

    function _checkPriority(uint64 index, bytes32 hash, uint256 off) internal view {
        if (index >= totalPriorityOps) revert NotEnoughPriorityOps(off);
        if (priorityOps[index].hash != hash) revert PriorityOpMismatch(off, index);
    }

    /// @notice Verifies the transfer circuit's proof of the next committed batch. Anyone may call.
    function proveBatch(uint64 batchNumber, uint256[2] calldata a, uint256[2][2] calldata b, uint256[2] calldata c)
        external
        notExodus
    {
        _prove(verifier, batchNumber, a, b, c);
    }

    /// @notice Verifies the DEX circuit's proof of the next committed batch (a batch with a DEX
    /// operation; the DEX circuit proves any batch). Anyone may call.
    function proveDexBatch(uint64 batchNumber, uint256[2] calldata a, uint256[2][2] calldata b, uint256[2] calldata c)
        external
        notExodus
    {
        _prove(dexVerifier, batchNumber, a, b, c);
    }

    function _prove(
        IZkrVerifier v,
        uint64 batchNumber,
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c
    ) internal {
        uint64 expected = batchesProven + 1;
        if (batchNumber != expected) revert WrongBatchNumber(expected, batchNumber);
        if (batchNumber > batchesCommitted) revert BatchNotCommitted(batchNumber);
        if (!v.verifyProof(a, b, c, [batches[batchNumber].commitment])) revert InvalidProof();
        batchesProven = batchNumber;
        emit BatchProven(batchNumber);
    }

    struct OnchainOp {
        address owner;
        uint16 token;
        uint128 amount;
    }

    /// @notice Executes the next proven batch: pops its priority operations and credits its
    /// withdrawals and full exits (given again, checked against the hash stored at commit).
    function executeBatch(uint64 batchNumber, OnchainOp[] calldata ops) external nonReentrant notExodus {
        uint64 expected = batchesExecuted + 1;
        if (batchNumber != expected) revert WrongBatchNumber(expected, batchNumber);
        if (batchNumber > batchesProven) revert BatchNotProven(batchNumber);
        StoredBatch storage s = batches[batchNumber];
        bytes32 h;
        for (uint256 i = 0; i < ops.length; i++) {
            h = keccak256(abi.encodePacked(h, ops[i].owner, ops[i].token, ops[i].amount));
        }
        if (h != s.onchainOpsHash) revert OnchainOpsMismatch();
        for (uint256 i = 0; i < ops.length; i++) {
            _credit(ops[i].owner, ops[i].token, ops[i].amount);
            // What leaves L2 leaves the cap. (Proven conservation keeps payouts within what was
            // deposited; saturating anyway, so an accounting slip can never block execution.)
            uint256 held = totalDeposited[ops[i].token];
            totalDeposited[ops[i].token] = held > ops[i].amount ? held - ops[i].amount : 0;
        }
        uint64 served = s.priorityOpsEnd - firstUnexecutedPriorityOp;
        for (uint64 i = firstUnexecutedPriorityOp; i < s.priorityOpsEnd; i++) {
            delete priorityOps[i];
            delete depositRecords[i];
        }
        firstUnexecutedPriorityOp = s.priorityOpsEnd;
        if (served != 0 && priorityFee != 0) {
            uint128 earned = priorityFee * served;
            _credit(operator, 0, earned);
            emit PriorityFeesEarned(batchNumber, earned);
        }
        lastExecutedRoot = s.newRoot;
        batchesExecuted = batchNumber;
        emit BatchExecuted(batchNumber, s.newRoot);
    }

    /// @notice Drops committed batches that are not proven yet (the operator's recovery).
    function revertBatches(uint64 newTotalBatchesCommitted) external onlyOperator notExodus {
        if (newTotalBatchesCommitted < batchesProven) revert CannotRevertProvenBatch();
        if (newTotalBatchesCommitted >= batchesCommitted) revert WrongBatchNumber(batchesCommitted, newTotalBatchesCommitted);
        for (uint64 n = newTotalBatchesCommitted + 1; n <= batchesCommitted; n++) {
            delete batches[n];
        }
        batchesCommitted = newTotalBatchesCommitted;
        committedPriorityOps =
            newTotalBatchesCommitted == 0 ? 0 : batches[newTotalBatchesCommitted].priorityOpsEnd;
        if (committedPriorityOps < firstUnexecutedPriorityOp) committedPriorityOps = firstUnexecutedPriorityOp;
        emit BatchesReverted(newTotalBatchesCommitted);
    }

    // ------------------------------------------------------------------ exodus

    /// @notice Once the oldest unexecuted priority operation is past its deadline, anyone can
    /// stop the rollup; owners then exit against the last executed root.
    function activateExodusMode() external notExodus {
        uint64 i = firstUnexecutedPriorityOp;
        if (i >= totalPriorityOps || priorityOps[i].expiresAt >= block.timestamp) revert NoExpiredPriorityOp();
        exodus = true;
        emit ExodusModeActivated(i);
    }

    struct ExitProof {
        uint32 accountId;
        address owner;
        uint256 pubkeyHash;
        uint32 nonce;
        uint16 token;
        uint128 balance;
        /// @dev siblings, root level first, own position left out (docs/protocol.md §3)
        uint256[3][4] balancePath;
        uint256[3][12] accountPath;
    }

    /// @notice In exodus mode, credits an account's whole balance of one token to its owner's
    /// pending balance, proven by a Merkle path to the last executed root. Once per
    /// (account, token). Anyone may call. LP shares exit through `exitLiquidity`.
    function exit(ExitProof calldata p) external notExodusOff {
        if (p.token >= tokens.length) revert TokenNotRegistered(address(0));
        _checkUserLeaf(p);
        exited[p.accountId][p.token] = true;
        _credit(p.owner, p.token, p.balance);
        emit ExodusExit(p.accountId, p.owner, p.token, p.balance);
    }

    /// @dev Checks a user's leaf and one balance against the last executed root, and that it
    /// has not exited this token yet.
    function _checkUserLeaf(ExitProof calldata p) internal view {
        if (p.accountId >= MAX_ACCOUNTS) revert AccountIdOutOfRange(p.accountId);
        if (exited[p.accountId][p.token]) revert AlreadyExited();
        if (p.pubkeyHash >= R) revert NotInField();
        // An owner-less leaf is empty or a special account (AMM pool): nobody's to exit.
        if (p.owner == address(0)) revert ZeroAddress();
        uint256 balanceRoot = _balanceRoot(p.token, p.balance, p.balancePath);
        uint256 leaf = poseidon4.poseidon([uint256(uint160(p.owner)), p.pubkeyHash, uint256(p.nonce), balanceRoot]);
        if (_accountRoot(p.accountId, leaf, p.accountPath) != lastExecutedRoot) revert InvalidExitProof();
    }

    function _balanceRoot(uint256 token, uint256 balance, uint256[3][4] calldata path)
        internal
        view
        returns (uint256 node)
    {
        node = balance;
        for (uint256 level = BALANCE_TREE_DEPTH; level > 0; level--) {
            uint256 pos = (token >> (2 * (BALANCE_TREE_DEPTH - level))) & 3;
            node = _hashChildren(node, pos, path[level - 1]);
        }
    }

    function _accountRoot(uint256 accountId, uint256 leaf, uint256[3][12] calldata path)
        internal
        view
        returns (uint256 node)
    {
        node = leaf;
        for (uint256 level = ACCOUNT_TREE_DEPTH; level > 0; level--) {
            uint256 pos = (accountId >> (2 * (ACCOUNT_TREE_DEPTH - level))) & 3;
            node = _hashChildren(node, pos, path[level - 1]);
        }
    }

    /// @dev A pool leaf as of the last executed root: its pair, reserves and share supply, each
    /// balance with its path in the pool's balance tree (the three must meet in one root).
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

    /// @notice In exodus mode, pays out LP shares: `share` proves an account's balance of pool
    /// `pool.pool`'s LP token, `pool` the pool's pair, reserves and supply, both against the last
    /// executed root. The owner is credited `shares * reserve / supply` (rounded down) of each
    /// token. Once per (account, LP token); the pool itself is nobody's, so its reserves go only
    /// to share holders, and the locked minimum keeps the sum of payouts within the reserves.
    function exitLiquidity(ExitProof calldata share, PoolProof calldata pool) external notExodusOff {
        if (pool.pool >= MAX_POOLS) revert NotAPool(pool.pool);
        if (share.token != LP_TOKEN_BASE + pool.pool) revert NotLpShares(share.token);
        _checkUserLeaf(share);
        if (pool.tokenA >= pool.tokenB || pool.tokenB >= MAX_TOKENS || pool.supply == 0) revert NotAPool(pool.pool);
        uint256 balanceRoot = _balanceRoot(pool.tokenA, pool.reserveA, pool.pathA);
        if (
            _balanceRoot(pool.tokenB, pool.reserveB, pool.pathB) != balanceRoot
                || _balanceRoot(share.token, pool.supply, pool.pathShares) != balanceRoot
        ) revert InvalidExitProof();
        uint256 key = (1 << 253) + 1 + (uint256(pool.tokenA) << 8) + (uint256(pool.tokenB) << 16);
        uint256 leaf = poseidon4.poseidon([uint256(0), key, 0, balanceRoot]);
        if (_accountRoot(POOL_ACCOUNT_BASE + pool.pool, leaf, pool.accountPath) != lastExecutedRoot) {
            revert InvalidExitProof();
        }
        exited[share.accountId][share.token] = true;
        uint128 amountA = uint128(uint256(share.balance) * pool.reserveA / pool.supply);
        uint128 amountB = uint128(uint256(share.balance) * pool.reserveB / pool.supply);
        _credit(share.owner, pool.tokenA, amountA);
        _credit(share.owner, pool.tokenB, amountB);
        emit LiquidityExit(share.accountId, share.owner, pool.pool, share.balance, amountA, amountB);
    }

    /// @notice In exodus mode, returns a deposit that no executed batch processed.
    function refundDeposit(uint64 priorityIndex) external notExodusOff {
        if (priorityIndex < firstUnexecutedPriorityOp || priorityIndex >= totalPriorityOps) {
            revert NotARefundableDeposit(priorityIndex);
        }
        if (priorityOps[priorityIndex].opType != Pubdata.DEPOSIT || depositRefunded[priorityIndex]) {
            revert NotARefundableDeposit(priorityIndex);
        }
        depositRefunded[priorityIndex] = true;
        DepositRecord memory d = depositRecords[priorityIndex];
        _credit(d.to, d.token, d.amount);
        emit DepositRefunded(priorityIndex, d.to, d.token, d.amount);
    }

    /// @notice In exodus mode, returns the fee of a priority operation no executed batch
    /// processed to whoever paid it. Once per operation. Anyone may call.
    function refundPriorityFee(uint64 priorityIndex) external notExodusOff {
        if (priorityIndex < firstUnexecutedPriorityOp || priorityIndex >= totalPriorityOps) {
            revert NotARefundableFee(priorityIndex);
        }
        address payer = priorityOps[priorityIndex].payer;
        if (payer == address(0) || priorityFee == 0) revert NotARefundableFee(priorityIndex);
        priorityOps[priorityIndex].payer = address(0);
        _credit(payer, 0, priorityFee);
        emit PriorityFeeRefunded(priorityIndex, payer, priorityFee);
    }

    modifier notExodusOff() {
        if (!exodus) revert NotInExodusMode();
        _;
    }

    function _hashChildren(uint256 node, uint256 pos, uint256[3] calldata s) internal view returns (uint256) {
        for (uint256 i = 0; i < 3; i++) {
            if (s[i] >= R) revert NotInField();
        }
        uint256[4] memory c;
        uint256 k;
        for (uint256 i = 0; i < 4; i++) {
            c[i] = i == pos ? node : s[k++];
        }
        return poseidon4.poseidon(c);
    }

    // ------------------------------------------------------------------ helpers

    /// @dev The signer of `digest`, or address(0) for anything but a well-formed 65-byte
    /// signature (`v` in {27, 28} or {0, 1}, low `s`) that ecrecover accepts. Callers must treat
    /// address(0) as "no signer", never compare it with an address read from calldata.
    function _recover(bytes32 digest, bytes calldata sig) internal pure returns (address) {
        if (sig.length != 65) return address(0);
        bytes32 r = bytes32(sig[0:32]);
        bytes32 s = bytes32(sig[32:64]);
        uint8 v = uint8(sig[64]);
        if (v < 2) v += 27;
        if (v != 27 && v != 28) return address(0);
        // reject malleable high-s signatures
        if (uint256(s) > 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0) return address(0);
        return ecrecover(digest, v, r, s);
    }

    function _safeTransfer(address token, address to, uint256 amount) internal {
        // A call to an address without code "succeeds" and would pay nothing.
        if (token.code.length == 0) revert TransferFailed();
        (bool ok, bytes memory ret) = token.call(abi.encodeCall(IERC20.transfer, (to, amount)));
        if (!ok || (ret.length != 0 && !abi.decode(ret, (bool)))) revert TransferFailed();
    }

    function _safeTransferFrom(address token, address from, address to, uint256 amount) internal {
        if (token.code.length == 0) revert TransferFailed();
        (bool ok, bytes memory ret) = token.call(abi.encodeCall(IERC20.transferFrom, (from, to, amount)));
        if (!ok || (ret.length != 0 && !abi.decode(ret, (bool)))) revert TransferFailed();
    }
}
