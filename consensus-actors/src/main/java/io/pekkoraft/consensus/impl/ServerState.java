package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.RoleChanged;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.RaftMessage;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.rules.ChangeAdmission;
import io.pekkoraft.consensus.rules.Configuration;
import io.pekkoraft.consensus.rules.ConfigurationCodec;
import io.pekkoraft.consensus.rules.ConfigurationLog;
import io.pekkoraft.consensus.rules.LogView;
import io.pekkoraft.consensus.rules.ReplicaIds;
import io.pekkoraft.consensus.transport.Transport;
import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.RaftEvent;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The state one Raft server keeps across its roles, and the only code that changes the durable part of
 * it. currentTerm, votedFor and the log change here and nowhere else, each change queued for the journal
 * in the same step ({@link PersistQueue}). The role behaviors decide; this class records.
 */
final class ServerState {

  static final String ELECTION_TIMER = "election";
  static final String LEADER_CONTACT_TIMER = "leader-contact";
  static final String CHECK_QUORUM_TIMER = "check-quorum";
  static final String APPLY_READ_TIMER = "apply-read";

  final String groupId;
  final String selfId;
  final RaftSettings settings;
  final ActorContext<ServerCommand> ctx;
  final TimerScheduler<ServerCommand> timers;
  final Transport transport;
  final ActorRef<RaftLog.Command> logActor;
  final ActorRef<StateMachineRunner.Command> runner;
  final PersistQueue persist;
  /** The state machine snapshots of this member, one file each. */
  final SnapshotFiles snapshots;
  /** Client requests held back while this server hands its leadership over. */
  final HeldRequests held;
  /** FOLLOWER reads waiting for a read index from the leader, whatever role this server is in. */
  final FollowerReads followerReads;
  /** The monotonic clock of leader leases, in nanoseconds ({@code System.nanoTime}; the simulated time in tests). */
  final java.util.function.LongSupplier nanos;
  final LogView log;
  /**
   * Draws election timeouts. SplittableRandom mixes its seed, so nodes seeded with neighbouring values
   * still time out at different moments (java.util.Random's first draws are nearly equal for such seeds).
   */
  private final SplittableRandom random;
  /**
   * This server's disk's replica id: recovered from the journal, or, on a new disk, created (random, never 0)
   * and queued for the journal before anything else. Every message that carries it leaves after it is
   * durable ({@link #sendAfterDurable}).
   */
  final long replicaId;
  /** The replica ids learned from peers, and the refusal of a peer whose disk is not the recorded one. */
  final ReplicaIdentity replicas;

  long currentTerm;
  String votedFor;
  long commitIndex;
  /**
   * The highest commit index a leader told us of (AppendEntries carries the leader's own), at least
   * {@link #commitIndex}: how far behind a bounded STALE read finds us, even where our log ends before it.
   */
  long leaderCommitSeen;
  /** The last index handed to the state machine runner. */
  private long handedToRunner;
  /** The latest snapshot of the state machine (index 0: none yet), which a leader sends to followers behind its log. */
  Snapshot snapshot = Snapshot.NONE;
  /** A snapshot being received from the leader, chunk by chunk into a file (followers only); null when none. */
  IncomingSnapshot incoming;
  /** Clients to answer for committed entries not yet handed to the runner (their entries are being read back). */
  private final java.util.TreeMap<Long, ClientRequest> repliesWaiting = new java.util.TreeMap<>();
  /** Committed entries that left memory are being read back from the journal for the runner. */
  private boolean readingForApply;
  private final ActorRef<RaftLog.ReadResult> applyReads;
  String leaderId;
  /** We heard from a current leader within the minimum election timeout, so we refuse to disrupt it. */
  boolean leaderContact;
  /**
   * The configuration in effect: the latest in the log, committed or not (thesis §4.1), else the one the
   * latest snapshot carries, else the bootstrap configuration ({@code pekko-raft.members}). Always
   * {@code configs.latest()}; kept as a field because every quorum reads it.
   */
  Configuration config;
  /** The configuration entries of the log, from the one in effect at the latest snapshot on. */
  private final ConfigurationLog configs;
  /** Counts changes of {@link #config} (appends and rollbacks), so a leader sees cheaply whether it changed. */
  long configChanges;
  private RaftRole role;

  ServerState(
      String groupId,
      RaftSettings settings,
      ActorContext<ServerCommand> ctx,
      TimerScheduler<ServerCommand> timers,
      Transport transport,
      ActorRef<RaftLog.Command> logActor,
      ActorRef<StateMachineRunner.Command> runner,
      SnapshotFiles snapshots,
      Internal.Recovered recovered) {
    this.groupId = groupId;
    this.selfId = settings.selfId();
    this.settings = settings;
    this.ctx = ctx;
    this.timers = timers;
    this.transport = transport;
    this.logActor = logActor;
    this.runner = runner;
    this.log = recovered.log();
    this.persist = new PersistQueue(logActor, ctx.getSelf(), settings.logWriteBytesMax(), log.lastIndex(), log::markDurable);
    this.snapshots = snapshots;
    this.applyReads = ctx.messageAdapter(RaftLog.ReadResult.class, r -> new Internal.EntriesRead(r.fromIndex(), r.entries()));
    Duration hold = settings.heartbeatInterval().compareTo(settings.leadershipTransferTimeout()) < 0
        ? settings.heartbeatInterval() : settings.leadershipTransferTimeout();
    this.held = new HeldRequests(ctx.getSelf(), timers, transport, settings.pendingMax(), hold);
    this.followerReads = new FollowerReads(selfId, transport, timers, runner, () -> leaderId, () -> currentTerm,
        settings.pendingMax(), settings.electionTimeoutMin());
    this.nanos = settings.clock();
    this.currentTerm = recovered.currentTerm();
    this.votedFor = recovered.votedFor();
    long seed = settings.randomSeed() != 0 ? settings.randomSeed() : System.nanoTime();
    this.random = new SplittableRandom(seed ^ ((long) selfId.hashCode() << 32));
    if (recovered.replicaId() != 0) {
      this.replicaId = recovered.replicaId();
    } else {
      this.replicaId = newReplicaId(settings.randomSeed());
      persist.add(new RaftEvent.ReplicaIdCreated(replicaId));
      ctx.getLog().info("{} of group {} starts on a new disk: replica id {}", selfId, groupId, replicaId);
    }
    this.replicas = new ReplicaIdentity(selfId, groupId, replicaId, ctx.getLog());
    // pekko-raft.members only bootstraps a brand-new group: a configuration the log or a snapshot holds wins.
    this.configs = recovered.configuration() != null
        ? new ConfigurationLog(recovered.configurationIndex(), recovered.configuration())
        : new ConfigurationLog(0, bootstrapConfiguration());
    configs.onCommit(recovered.snapshotIndex());
    recovered.configurationEntries().forEach(configs::onAppend);
    this.config = configs.latest();
    tellTransport(); // the transport follows the members of the configuration in effect
    if (recovered.snapshotIndex() > 0) {
      Snapshot latest = new Snapshot(recovered.snapshotIndex(), recovered.snapshotTerm(), recovered.snapshotBytes(),
          recovered.configurationIndex(), encode(recovered.configurationIndex(), recovered.configuration()));
      if (!snapshots.has(latest.index(), latest.term(), latest.bytes())) {
        throw new IllegalStateException(selfId + " of group " + groupId + ": the journal records a snapshot at "
            + latest.index() + "@" + latest.term() + " of " + latest.bytes() + " bytes, but "
            + snapshots.path(latest.index(), latest.term()) + " is missing or of another size; the log before it is"
            + " compacted, so this member cannot start (restore the file, or remove the member and add it back)");
      }
      // The recovered log starts after the compaction point: a follower behind it needs this snapshot.
      snapshot = latest;
      startStateMachineFrom(latest);
    }
    publishMembership();
  }

  /**
   * A new replica id, never 0: from a strong source, unless {@code pekko-raft.random-seed} is set (tests), when
   * it is drawn from its own generator (the election timeouts' draws stay as they were). Every start on a
   * new disk must get another one: a test that wipes a disk starts the member with another seed.
   */
  private long newReplicaId(long randomSeed) {
    java.util.function.LongSupplier draw = randomSeed != 0
        ? new SplittableRandom(randomSeed * 0x9E3779B97F4A7C15L + selfId.hashCode())::nextLong
        : new java.security.SecureRandom()::nextLong;
    long id;
    do {
      id = draw.getAsLong();
    } while (id == 0);
    return id;
  }

  // ---- durable state: every change is queued for the journal in the same step ----

  /** §5.1: a higher term was seen; adopt it and forget the vote. */
  void adoptTerm(long term) {
    if (term <= currentTerm) {
      throw new IllegalStateException(selfId + ": term may only rise, from " + currentTerm + " to " + term);
    }
    currentTerm = term;
    votedFor = null;
    leaderId = null;
    persist.add(new RaftEvent.TermAdvanced(term));
  }

  /** §5.2: at most one vote per term. */
  void castVote(String candidateId) {
    if (votedFor != null) {
      if (votedFor.equals(candidateId)) return;
      throw new IllegalStateException(selfId + ": second vote in term " + currentTerm + " for " + candidateId
          + ", already voted for " + votedFor);
    }
    votedFor = candidateId;
    persist.add(new RaftEvent.VoteCast(currentTerm, candidateId));
  }

  void append(List<LogEntry> entries) {
    if (entries.isEmpty()) return;
    List<LogEntry> batch = List.copyOf(entries); // an immutable list, no copy when it already is one
    log.appendAll(batch);
    persist.add(new RaftEvent.EntriesAppended(batch));
    for (LogEntry e : batch) {
      if (e.type() == LogEntry.Type.CONFIGURATION) {
        configs.onAppend(e.index(), decode(e));
        configurationChanged("appended at " + e.index());
      }
    }
  }

  /** Remove conflicting entries from {@code index} on; committed entries are never removed (§5.3, Log Matching). */
  void truncateFrom(long index) {
    if (index <= commitIndex) {
      throw new IllegalStateException(selfId + ": asked to truncate from " + index + " but " + commitIndex + " is committed");
    }
    log.truncateFrom(index);
    persist.add(new RaftEvent.EntriesTruncated(index));
    if (configs.onTruncate(index)) configurationChanged("rolled back to the entry at " + configs.latestIndex());
  }

  /** The configuration in effect changed (an entry appended, or truncated away): use it from now on. */
  private void configurationChanged(String how) {
    Configuration previous = config;
    config = configs.latest();
    configChanges++;
    replicas.retainMembers(config);
    ctx.getLog().info("{} of group {}: configuration {} ({}), was {}", selfId, groupId, config, how, previous);
    tellTransport();
    publishMembership();
  }

  /** What the transport was last told to reach. */
  private Configuration reached;

  /**
   * Tells the transport whom to reach: the members of the configuration in effect and, until it commits,
   * those of the committed configuration that it leaves out, as learners. A leader that removes itself
   * leads until its removal commits (thesis §4.2.2) and needs its followers' answers until then; a follower
   * that stopped reaching it at once would leave it without a quorum, and the group without a hand-over.
   */
  private void tellTransport() {
    Configuration committed = configs.committed();
    Set<String> leftOut = new TreeSet<>(committed.members());
    leftOut.removeAll(config.members());
    Configuration reach = config;
    if (!leftOut.isEmpty()) {
      Set<String> learners = new TreeSet<>(config.learners());
      learners.addAll(leftOut);
      Map<String, String> addresses = new TreeMap<>(committed.addresses());
      addresses.putAll(config.addresses());
      reach = new Configuration(config.voters(), config.votersOutgoing(), learners, config.learnersNext())
          .withDetails(addresses, config.replicaIds());
    }
    if (!reach.equals(reached)) {
      reached = reach;
      transport.configurationChanged(reach);
    }
  }

  /** The membership last published, to publish again when its entry commits. */
  private io.pekkoraft.consensus.Membership published;

  private void publishMembership() {
    published = membership();
    ctx.getSystem().eventStream().tell(new EventStream.Publish<>(
        new io.pekkoraft.consensus.MembershipChanged(groupId, selfId, published)));
  }

  /** The index of the latest configuration entry, committed or not (0: the bootstrap configuration). */
  long configurationIndex() {
    return configs.latestIndex();
  }

  /** The latest committed configuration. */
  Configuration committedConfiguration() {
    return configs.committed();
  }

  /** Is the latest configuration entry committed (no change in flight)? */
  boolean configurationCommitted() {
    return configs.latestCommitted();
  }

  /** The index of the configuration entry since which {@code member} has been a member, or -1. */
  long memberSince(String member) {
    return configs.memberSince(member);
  }

  /** The configuration in effect, as the public view. */
  io.pekkoraft.consensus.Membership membership() {
    return io.pekkoraft.consensus.Membership.of(config, configs.latestIndex(), configs.latestCommitted());
  }

  /** The configuration a CONFIGURATION entry carries; one that cannot be read is a broken log. */
  private Configuration decode(LogEntry e) {
    try {
      return ConfigurationCodec.decode(e.data());
    } catch (IllegalArgumentException malformed) {
      throw new IllegalStateException(selfId + " of group " + groupId + ": the configuration entry at " + e.index()
          + "@" + e.term() + " cannot be read: " + malformed.getMessage(), malformed);
    }
  }

  /** The configuration of a brand-new group, whose log and snapshots hold none: pekko-raft.members. */
  private Configuration bootstrapConfiguration() {
    return Configuration.ofVoters(settings.members().keySet());
  }

  /** How a snapshot carries a configuration: empty for the bootstrap one (index 0), which no entry holds. */
  private static byte[] encode(long configurationIndex, Configuration c) {
    return configurationIndex == 0 ? new byte[0] : ConfigurationCodec.encode(c);
  }

  /**
   * The state machine snapshotted its state after applying {@code index}: keep it as the latest snapshot
   * and compact the log (§7), keeping {@code snapshot.trailing-entries} entries before the snapshot's
   * index for followers that are a little behind. An older snapshot than the one held is ignored.
   */
  boolean storeSnapshot(long index, long term, long bytes) {
    if (index <= snapshot.index()) return false;
    if (index > commitIndex || log.termAt(index) != term) {
      throw new IllegalStateException(selfId + ": snapshot at " + index + "@" + term + " does not match the committed log"
          + " (commit index " + commitIndex + ", term there " + log.termAt(index) + ")");
    }
    long compactTo = Math.max(log.snapshotIndex(), index - settings.snapshotTrailingEntries());
    long configIndex = configs.indexAt(index);
    keepSnapshot(new Snapshot(index, term, bytes, configIndex, encode(configIndex, configs.at(index))), compactTo,
        log.termAt(compactTo));
    configs.onCompact(index);
    return true;
  }

  /**
   * The leader's snapshot arrived whole: the log up to {@code index} is replaced by it (entries after it
   * stay when ours holds the same entry at index), the state machine restarts from it, and it counts as
   * committed (only committed entries are ever snapshotted). The configuration it carries
   * ({@code configuration}, encoded, from the entry at {@code configurationIndex}) replaces ours up to
   * index; configuration entries of our log after it stay if those entries do. Returns false when we
   * already had everything it covers.
   */
  boolean installSnapshot(long index, long term, long bytes, long configurationIndex, byte[] configuration) {
    if (index <= commitIndex) return false;
    // Clients of entries the snapshot covers that this server had not applied yet (it led before): their
    // commands committed, but their results are not known here.
    java.util.NavigableMap<Long, ClientRequest> covered = repliesWaiting.headMap(index, true);
    ReplyBatch unknown = new ReplyBatch();
    for (ClientRequest request : covered.values()) {
      unknown.add(request, new ClientReply.Timeout("committed, but this server installed a snapshot before applying"
          + " it; its result is not known here"));
    }
    unknown.send();
    covered.clear();
    Configuration carried;
    try {
      carried = configurationIndex == 0 ? bootstrapConfiguration() : ConfigurationCodec.decode(configuration);
    } catch (IllegalArgumentException malformed) {
      throw new IllegalStateException(selfId + " of group " + groupId + ": the leader's snapshot up to " + index
          + " carries a configuration that cannot be read: " + malformed.getMessage(), malformed);
    }
    Snapshot installed = new Snapshot(index, term, bytes, configurationIndex, encode(configurationIndex, carried));
    keepSnapshot(installed, index, term);
    configs.onSnapshot(index, configurationIndex, carried);
    configs.onTruncate(log.lastIndex() + 1); // the log went whole if it did not hold the snapshot's last entry
    if (!configs.latest().equals(config)) configurationChanged("from the snapshot up to " + index);
    startStateMachineFrom(installed);
    return true;
  }

  /** The latest snapshot is {@code s}; the log is compacted up to {@code compactTo}, in memory and in the journal. */
  private void keepSnapshot(Snapshot s, long compactTo, long compactToTerm) {
    long previous = snapshot.index();
    snapshot = s;
    if (compactTo > log.snapshotIndex()) log.compactTo(compactTo, compactToTerm);
    persist.add(new RaftEvent.SnapshotStored(s.index(), s.term(), s.bytes(), compactTo, compactToTerm,
        s.configurationIndex(), s.configuration()));
    // Once the journal names the new file, only it and the one before stay (a transfer may still read that one).
    persist.afterDurable(() -> snapshots.deleteBefore(previous));
  }

  /** A snapshot covers only committed entries: the state machine starts from it, and commits count from there. */
  private void startStateMachineFrom(Snapshot s) {
    commitIndex = s.index();
    handedToRunner = s.index();
    runner.tell(new StateMachineRunner.Restore(s.index(), s.term()));
  }

  /**
   * A state machine snapshot covering the log up to {@code index}, whose entry has {@code term}; its file has
   * {@code bytes}. It carries the configuration in effect at index, encoded, from the entry at
   * {@code configurationIndex} (empty with index 0: the bootstrap configuration).
   */
  record Snapshot(long index, long term, long bytes, long configurationIndex, byte[] configuration) {
    static final Snapshot NONE = new Snapshot(0, 0, 0, 0, new byte[0]);
  }

  /** The chunks of a leader's snapshot received so far, written to a file as they come. */
  static final class IncomingSnapshot {
    final String leader;
    final long term;
    final SnapshotFiles.Incoming file;

    IncomingSnapshot(String leader, long term, SnapshotFiles.Incoming file) {
      this.leader = leader;
      this.term = term;
      this.file = file;
    }

    boolean isFor(String leader, long term, long index, long lastTerm, long totalBytes) {
      return this.leader.equals(leader) && this.term == term && file.index == index && file.term == lastTerm
          && file.totalBytes == totalBytes;
    }
  }

  /** Stop receiving a snapshot (another one replaces it, or we already hold what it covers). */
  void dropIncoming() {
    if (incoming != null) incoming.file.abandon();
    incoming = null;
  }

  // ---- replica ids: the leader records those it learned in the configuration ----

  /**
   * A configuration entry the leader is about to append, with the replica ids it knows of members the
   * entry records none for; the same entry when there are none, or for any other entry.
   */
  LogEntry withKnownReplicaIds(LogEntry entry) {
    if (entry.type() != LogEntry.Type.CONFIGURATION) return entry;
    Configuration c = decode(entry);
    Configuration recorded = ReplicaIds.withKnown(c, replicas.known());
    return recorded == c ? entry
        : new LogEntry(entry.index(), entry.term(), LogEntry.Type.CONFIGURATION, ConfigurationCodec.encode(recorded));
  }

  /**
   * Leader only: the configuration entry that records the replica ids learned of peers that are voters the
   * configuration in effect records none for (same membership; ours is recorded with them, never alone: a
   * group of one has no one to refuse), or null when there is none to record or a change may not be
   * appended now ({@link ChangeAdmission}: an entry of our term committed, no change in flight).
   */
  LogEntry replicaIdsEntry() {
    if (!ReplicaIds.voterUnrecorded(config, replicas.learned())) return null;
    if (log.lastTerm() != currentTerm) return null; // not a leader of this term with its no-op appended
    long firstIndexOfTerm = log.firstIndexOfTermAt(log.lastIndex());
    if (!ChangeAdmission.check(configs.latestIndex(), commitIndex, firstIndexOfTerm, ChangeAdmission.ANY_CONFIGURATION)
        .accepted()) {
      return null;
    }
    Configuration recorded = ReplicaIds.withKnown(config, replicas.known());
    return new LogEntry(log.lastIndex() + 1, currentTerm, LogEntry.Type.CONFIGURATION, ConfigurationCodec.encode(recorded));
  }

  // ---- messages out ----

  /** Send once our state as of now is durable: the reply reveals our term, vote and log. */
  void sendAfterDurable(String to, RaftMessage message) {
    persist.afterDurable(() -> transport.send(to, message));
  }

  // ---- commit and apply ----

  /**
   * Raise the commit index and hand the newly committed entries to the state machine, with the clients
   * to answer (leader only). The commit index never goes down and never passes the end of the log.
   * Entries that already left memory are read back from the journal first, in order ({@link #onEntriesRead}).
   */
  void commitTo(long index, Map<Long, ClientRequest> replies) {
    if (index <= commitIndex) return;
    if (index > log.lastIndex()) {
      throw new IllegalStateException(selfId + ": commit index " + index + " past the last index " + log.lastIndex());
    }
    commitIndex = index;
    configs.onCommit(index);
    if (published != null && !published.committed() && configs.latestCommitted()) publishMembership();
    if (reached != config) tellTransport(); // a member left out is no longer reached once its removal commits
    long from = handedToRunner + 1;
    if (!readingForApply && repliesWaiting.isEmpty() && log.holds(from)) {
      runner.tell(new StateMachineRunner.Apply(log.range(from, commitIndex), replies));
      handedToRunner = commitIndex;
      return;
    }
    repliesWaiting.putAll(replies);
    handCommittedToRunner();
  }

  /** Hand what is committed and not yet handed to the runner: from memory, or by reading the journal. */
  void handCommittedToRunner() {
    if (readingForApply || handedToRunner >= commitIndex) return;
    long from = handedToRunner + 1;
    if (log.holds(from)) {
      handToRunner(log.range(from, commitIndex));
    } else {
      readingForApply = true;
      int window = settings.window();
      logActor.tell(new RaftLog.Read(from, settings.batchEntriesMax() * window, settings.batchBytesMax() * window,
          applyReads));
    }
  }

  /** Committed entries read back from the journal: hand those still wanted to the runner, and go on. */
  void onEntriesRead(Internal.EntriesRead r) {
    if (!readingForApply) return;
    readingForApply = false;
    if (r.fromIndex() == handedToRunner + 1 && !r.entries().isEmpty()) {
      List<LogEntry> wanted = r.entries();
      int n = 0;
      while (n < wanted.size() && wanted.get(n).index() <= commitIndex) {
        LogEntry e = wanted.get(n);
        if (e.term() != log.termAt(e.index())) {
          throw new IllegalStateException(selfId + " of group " + groupId + ": the journal gave entry " + e.index()
              + " of term " + e.term() + " for the state machine, but the committed log holds term "
              + log.termAt(e.index()) + " there");
        }
        n++;
      }
      if (n > 0) handToRunner(wanted.subList(0, n));
    } else if (r.fromIndex() == handedToRunner + 1) {
      ctx.getLog().warn("{} of group {} could not read committed entries from {} back from the journal; trying again"
          + " in {}", selfId, groupId, r.fromIndex(), settings.heartbeatInterval());
      timers.startSingleTimer(APPLY_READ_TIMER, Internal.RetryApplyRead.INSTANCE, settings.heartbeatInterval());
      return;
    }
    handCommittedToRunner();
  }

  private void handToRunner(List<LogEntry> entries) {
    long last = entries.get(entries.size() - 1).index();
    Map<Long, ClientRequest> replies = Map.of();
    if (!repliesWaiting.isEmpty()) {
      java.util.NavigableMap<Long, ClientRequest> due = repliesWaiting.headMap(last, true);
      replies = Map.copyOf(due);
      due.clear();
    }
    runner.tell(new StateMachineRunner.Apply(List.copyOf(entries), replies));
    handedToRunner = last;
  }

  // ---- timers ----

  void resetElectionTimer() {
    if (role == RaftRole.LEARNER) return; // a learner never campaigns: it has no election timer
    long min = settings.electionTimeoutMin().toMillis();
    long max = settings.electionTimeoutMax().toMillis();
    long timeout = min + (max > min ? random.nextLong(max - min + 1) : 0);
    timers.startSingleTimer(ELECTION_TIMER, Internal.ElectionTimeout.INSTANCE, Duration.ofMillis(timeout));
  }

  /**
   * A message from the current leader arrived: remember it, refuse disruptive votes for a while, and
   * hand the requests held during a hand-over back, to be sent on to it.
   */
  void noteLeaderContact(String leader) {
    if (!leader.equals(leaderId)) {
      leaderId = leader;
      publishRole();
    }
    held.release();
    if (settings.checkQuorum()) {
      leaderContact = true;
      timers.startSingleTimer(LEADER_CONTACT_TIMER, Internal.LeaderContactExpired.INSTANCE, settings.electionTimeoutMin());
    }
  }

  void forgetLeader() {
    leaderId = null;
    leaderContact = false;
    timers.cancel(LEADER_CONTACT_TIMER);
  }

  // ---- observability ----

  /** Publish the role just entered (the change itself is logged by {@code Role.become}). */
  void becameRole(RaftRole newRole) {
    role = newRole;
    publishRole();
  }

  private void publishRole() {
    ctx.getSystem().eventStream().tell(new EventStream.Publish<>(
        new RoleChanged(groupId, selfId, role, currentTerm, leaderId)));
  }
}
