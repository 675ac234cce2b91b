package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.RaftMessage.AppendEntries;
import io.pekkoraft.consensus.protocol.RaftMessage.AppendEntriesResponse;
import io.pekkoraft.consensus.protocol.RaftMessage.Heartbeat;
import io.pekkoraft.consensus.protocol.RaftMessage.HeartbeatResponse;
import io.pekkoraft.consensus.protocol.RaftMessage.InstallSnapshotResponse;
import io.pekkoraft.consensus.protocol.RaftMessage.TimeoutNow;
import io.pekkoraft.consensus.protocol.RaftMessage;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.protocol.TransferLeadership;
import io.pekkoraft.consensus.rules.CommitRule;
import io.pekkoraft.consensus.rules.LeaderLease;
import io.pekkoraft.consensus.rules.Quorum;
import io.pekkoraft.consensus.rules.ReadIndex;
import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.serialization.KryoCodec;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.Terminated;

/**
 * Leader (§5.2-5.4): appends client commands to its log, has one {@link Replicator} child per peer, and
 * advances the commit index by {@link CommitRule}. It starts its term with a no-op entry, so that
 * entries of earlier terms commit and reads can be served. With check-quorum it steps down when a quorum
 * has not answered within the minimum election timeout.
 */
final class Leader extends Role {

  private final Map<String, ActorRef<Replicator.Command>> replicators = new HashMap<>();
  private final Map<String, Long> matchIndex = new HashMap<>();
  private final AtomicLong sharedCommit;
  /** Reads each command before it is appended: one that no replica can read must never commit. */
  private final KryoCodec codec;
  private final NavigableMap<Long, ClientRequest> pendingCommands = new TreeMap<>();
  private final Set<String> recentlyActive = new HashSet<>();
  /** Those heard from in the check-quorum round before the current one. */
  private Set<String> activeRoundBefore = new HashSet<>();
  /** Our own log is durable up to here: the leader's vote for its own entries (§10.2.1 of the thesis). */
  private long selfPersisted;

  /**
   * ReadIndex (thesis §6.4): which heartbeat rounds to send, which reads they confirm: our own clients'
   * ({@link ClientRequest.ClientQuery}) and the read index requests of followers serving FOLLOWER reads
   * ({@link RaftMessage.ReadIndexRequest}).
   */
  private final ReadIndex<ServerCommand> reads;

  /** The lease of LEASE reads (thesis §6.4.1); null when {@code pekko-raft.read.lease} is off. */
  private final LeaderLease lease;

  /** Leadership transfer (thesis §3.10): the target, its watch, the TimeoutNow. */
  private final LeadershipHandOver handOver;

  /** Membership changes (thesis §4): admission, planning, the configuration entries, their answers. */
  private final LeaderMembership membership;

  Leader(ServerState state) {
    super(state);
    sharedCommit = new AtomicLong(state.commitIndex);
    codec = RaftSerialization.get(state.ctx.getSystem()).codec();
    handOver = new LeadershipHandOver(state, peer -> matchIndex.getOrDefault(peer, 0L), replicators::get);
    membership = new LeaderMembership(state, peer -> matchIndex.getOrDefault(peer, 0L), this::recentlyHeard,
        this::appendAsLeader);
    lease = state.settings.leaseReads()
        ? new LeaderLease(state.selfId, state.settings.electionTimeoutMin().toNanos(),
            state.settings.leaseClockDriftMargin().toNanos())
        : null;
    reads = new ReadIndex<>(state.selfId, new ReadIndex.Output<>() {
      @Override
      public void heartbeatRound(long round) {
        if (lease != null) lease.roundSent(round, state.nanos.getAsLong()); // the lease starts when a round is sent
        Replicator.HeartbeatNow now = new Replicator.HeartbeatNow(round);
        for (ActorRef<Replicator.Command> r : replicators.values()) r.tell(now);
      }

      @Override
      public void serve(long readIndex, ServerCommand read) {
        if (read instanceof ClientRequest.ClientQuery query) {
          state.runner.tell(new StateMachineRunner.Read(readIndex, query));
        } else {
          RaftMessage.ReadIndexRequest r = (RaftMessage.ReadIndexRequest) read;
          state.transport.send(r.from(),
              new RaftMessage.ReadIndexResponse(state.currentTerm, state.selfId, r.id(), true, readIndex));
        }
      }
    });
  }

  @Override
  RaftRole role() {
    return RaftRole.LEADER;
  }

  @Override
  Behavior<ServerCommand> start() {
    state.timers.cancel(ServerState.ELECTION_TIMER);
    state.timers.cancel(ServerState.LEADER_CONTACT_TIMER);
    state.leaderId = state.selfId;
    state.leaderContact = true; // we are the leader: vote requests must not unseat us while a quorum answers
    state.becameRole(RaftRole.LEADER);
    state.ctx.getLog().info("{} is the leader of group {} in term {}", state.selfId, state.groupId, state.currentTerm);
    long lastAtElection = state.log.lastIndex();
    state.persist.afterDurable(() -> selfPersisted = Math.max(selfPersisted, lastAtElection));
    followConfiguration();
    // Check-quorum rounds; with check-quorum off they still tell which members were heard from recently.
    state.timers.startTimerWithFixedDelay(ServerState.CHECK_QUORUM_TIMER, Internal.CheckQuorum.INSTANCE,
        state.settings.electionTimeoutMin());
    if (lease != null) {
      state.timers.startTimerWithFixedDelay(LEASE_TIMER, Internal.LeaseRound.INSTANCE, state.settings.heartbeatInterval());
    }
    // §5.4.2 and §8: a no-op of our term lets earlier entries commit, and lets reads start.
    membership.termStarted(state.log.lastIndex() + 1);
    appendAsLeader(LogEntry.noop(state.log.lastIndex() + 1, state.currentTerm));
    termStarted = true;
    // Requests held during the hand-over that made us leader (or during one of ours that we survived):
    // served now, so that the commands join our no-op in one write and one AppendEntries.
    for (ClientRequest held : state.held.takeAll()) onClientRequest(held);
    return maybeCommit();
  }

  private static final String LEASE_TIMER = "lease-round";

  /** The configuration changes seen, as {@link ServerState#configChanges} counts them. */
  private long configChangesSeen;

  /**
   * One replicator per member of the configuration in effect (the latest in the log, committed or not):
   * start those of new members, stop those of members it no longer names.
   */
  private void followConfiguration() {
    configChangesSeen = state.configChanges;
    // Members a change removes keep their replicator until it commits, so that they learn of their
    // removal (and stop campaigning) instead of timing out; they no longer count for anything.
    java.util.Set<String> members = new java.util.TreeSet<>(state.config.members());
    if (!state.configurationCommitted()) members.addAll(state.committedConfiguration().members());
    for (String peer : members) {
      if (peer.equals(state.selfId) || replicators.containsKey(peer)) continue;
      if (state.replicas.refused(peer, state.config)) continue; // another disk under its name: see onReplicaMismatch
      matchIndex.put(peer, 0L);
      spawnReplicator(peer);
    }
    for (String peer : List.copyOf(replicators.keySet())) {
      if (members.contains(peer)) continue;
      ActorRef<Replicator.Command> gone = replicators.remove(peer);
      state.ctx.unwatch(gone);
      state.ctx.stop(gone);
      matchIndex.remove(peer);
      recentlyActive.remove(peer);
    }
  }

  /** A replicator for {@code peer}, watched: should it fail, {@link #onChildTerminated} starts another. */
  private void spawnReplicator(String peer) {
    boolean midTerm = termStarted && state.log.lastIndex() > state.log.snapshotIndex();
    Replicator.Setup setup = midTerm ? Replicator.Setup.probingFromLastEntry(peer, state) : Replicator.Setup.of(peer, state);
    ActorRef<Replicator.Command> replicator = state.ctx.spawnAnonymous(Replicator.create(setup, sharedCommit));
    state.ctx.watch(replicator);
    replicators.put(peer, replicator);
    if (midTerm) {
      // Started after the last push: given our last entry, it probes the follower with it at once.
      long last = state.log.lastIndex();
      replicator.tell(new Replicator.Entries(last - 1, state.log.termAt(last - 1), state.log.slice(last, 1, Long.MAX_VALUE),
          false));
    }
  }

  /** Our no-op is appended and the first replicators run: replicators started from now on probe at once. */
  private boolean termStarted;

  /**
   * A replicator stopped that we did not stop (those are out of the map by then): it failed, and its
   * follower would go unreplicated while we lead. It holds nothing durable, so a fresh one takes over, as
   * at the start of the term: it learns the follower's match point again by probing.
   */
  @Override
  Behavior<ServerCommand> onChildTerminated(Terminated t) {
    for (Map.Entry<String, ActorRef<Replicator.Command>> e : replicators.entrySet()) {
      if (!e.getValue().equals(t.getRef())) continue;
      String peer = e.getKey();
      Throwable cause = t instanceof ChildFailed failed ? failed.getCause() : null;
      state.ctx.getLog().error("{}, leader of group {} in term {}: the replicator to {} stopped unexpectedly ({});"
          + " starting a new one", state.selfId, state.groupId, state.currentTerm, peer,
          cause != null ? cause.toString() : "no failure reported", cause);
      spawnReplicator(peer);
      if (reads.roundInFlight() != 0) { // reads wait for this round
        replicators.get(peer).tell(new Replicator.HeartbeatNow(reads.roundInFlight()));
      }
      return this;
    }
    return this;
  }

  /** Appended but not yet pushed to the replicators (see {@link Internal.PushEntries}); the entry before them. */
  private final ArrayList<LogEntry> unpushed = new ArrayList<>();
  private long unpushedPrevIndex;
  private long unpushedPrevTerm;

  /** The log time of our last entry: stamps never go backwards along the log, whatever the clocks say. */
  private long lastLogTime = -1;

  /** Log time for a new entry (LogEntry.time): the wall clock, never behind the last entry's. */
  private long logTime() {
    if (lastLogTime < 0) {
      long last = state.log.lastIndex();
      lastLogTime = last >= 1 && state.log.holds(last) ? state.log.entry(last).time() : 0;
    }
    lastLogTime = Math.max(lastLogTime, state.settings.session().wallClockMs().getAsLong());
    return lastLogTime;
  }

  private void appendAsLeader(LogEntry appended) {
    // a configuration entry records the replica ids we know; every entry gets its log time
    LogEntry entry = state.withKnownReplicaIds(appended).withTime(logTime());
    if (unpushed.isEmpty()) {
      unpushedPrevIndex = state.log.lastIndex();
      unpushedPrevTerm = state.log.lastTerm();
      state.ctx.getSelf().tell(Internal.PushEntries.INSTANCE);
    }
    state.append(List.of(entry));
    unpushed.add(entry);
  }

  @Override
  Behavior<ServerCommand> onPushEntries() {
    if (unpushed.isEmpty()) return this;
    // Our own vote for the whole burst, once: everything appended so far is queued for the journal.
    long last = unpushed.get(unpushed.size() - 1).index();
    state.persist.afterDurable(() -> selfPersisted = Math.max(selfPersisted, last));
    Replicator.Entries push = new Replicator.Entries(unpushedPrevIndex, unpushedPrevTerm, List.copyOf(unpushed), false);
    unpushed.clear();
    for (ActorRef<Replicator.Command> r : replicators.values()) r.tell(push);
    // A configuration entry among them took effect on append: replicators of new members start after
    // what was just pushed, as at the start of a term, and probe from our last index.
    if (state.configChanges != configChangesSeen) followConfiguration();
    return this;
  }

  @Override
  Behavior<ServerCommand> afterPersisted() {
    return maybeCommit();
  }

  /** The commit rule: highest index on a quorum, counting only entries of our term (Figure 8). */
  private Behavior<ServerCommand> maybeCommit() {
    long quorumIndex = Quorum.quorumIndex(state.config,
        id -> id.equals(state.selfId) ? selfPersisted : matchIndex.getOrDefault(id, 0L));
    long newCommit = CommitRule.advance(state.commitIndex, quorumIndex, state.log::termAt, state.currentTerm);
    if (newCommit > state.commitIndex) {
      NavigableMap<Long, ClientRequest> answered = pendingCommands.headMap(newCommit, true);
      Map<Long, ClientRequest> replies = Map.copyOf(answered);
      answered.clear();
      state.commitTo(newCommit, replies);
      sharedCommit.set(newCommit);
      reads.committed(newCommit, state.config); // CommitRule commits only entries of our term
      if (state.configurationCommitted() && !state.config.members().containsAll(replicators.keySet())) {
        followConfiguration(); // a removal committed: its member's replicator stops now
      }
    }
    if (membership.afterCommit()) return stepDownRemoved();
    handOver.whenCaughtUp(false);
    recordReplicaIds();
    return this;
  }

  // ---- replica ids (ReplicaIdentity): recorded once learned; a member answering from another disk is cut off ----

  /** Append a configuration entry recording the voters' replica ids we learned, when one is due and allowed. */
  private void recordReplicaIds() {
    LogEntry entry = state.replicaIdsEntry();
    if (entry != null) appendAsLeader(entry);
  }

  /**
   * {@code peer} answered from another disk than the configuration records: its acknowledgements no longer
   * count (it lost what it acknowledged) and we stop replicating to it, until a configuration without it,
   * then one adding it back, is in effect ({@link #followConfiguration} starts a replicator then).
   */
  @Override
  Behavior<ServerCommand> onReplicaMismatch(String peer) {
    ActorRef<Replicator.Command> replicator = replicators.remove(peer);
    if (replicator != null) {
      state.ctx.unwatch(replicator);
      state.ctx.stop(replicator);
    }
    matchIndex.remove(peer);
    recentlyActive.remove(peer);
    return this;
  }

  /**
   * Thesis §4.2.2: the committed configuration no longer makes us a voter (we removed or demoted
   * ourselves). We led until it committed, without counting ourselves; now the most up-to-date voter is told
   * to campaign at once, and we step down (to a learner, or a non-member that never campaigns).
   */
  private Behavior<ServerCommand> stepDownRemoved() {
    String successor = null;
    for (String voter : state.config.voters()) {
      if (successor == null || matchIndex.getOrDefault(voter, 0L) > matchIndex.getOrDefault(successor, 0L)) {
        successor = voter;
      }
    }
    state.ctx.getLog().info("{} of group {} is not a voter of the committed configuration {}: it steps down as"
        + " leader of term {} and asks {} to take over", state.selfId, state.groupId, state.config, state.currentTerm,
        successor);
    if (successor != null) state.transport.send(successor, new TimeoutNow(state.currentTerm, state.selfId));
    return becomeFollower();
  }

  /** Did we hear from {@code peer} in this check-quorum round or the one before (about two election timeouts)? */
  private boolean recentlyHeard(String peer) {
    return recentlyActive.contains(peer) || activeRoundBefore.contains(peer);
  }

  // ---- membership (thesis §4): LeaderMembership ----

  @Override
  Behavior<ServerCommand> onMembershipRequest(io.pekkoraft.consensus.protocol.MembershipRequest request) {
    membership.onRequest(request, handOver.underWay());
    return this;
  }

  // ---- replication answers ----

  @Override
  Behavior<ServerCommand> onAppendEntriesResponse(AppendEntriesResponse r) {
    if (r.term() < state.currentTerm) return this;
    ActorRef<Replicator.Command> replicator = replicators.get(r.from());
    if (replicator == null) return this;
    recentlyActive.add(r.from());
    if (r.success()) {
      if (r.matchIndex() > state.log.lastIndex()) {
        throw new IllegalStateException(state.selfId + ": " + r.from() + " acknowledged index " + r.matchIndex()
            + " beyond our last index " + state.log.lastIndex() + " in term " + state.currentTerm);
      }
      matchIndex.merge(r.from(), r.matchIndex(), Math::max);
      replicator.tell(new Replicator.Acked(r.seq(), r.matchIndex()));
      return maybeCommit();
    }
    replicator.tell(new Replicator.Rejected(r.seq(), state.log.nextIndexAfterReject(r.conflictTerm(), r.conflictIndex())));
    return this;
  }

  @Override
  Behavior<ServerCommand> onInstallSnapshotResponse(InstallSnapshotResponse r) {
    if (r.term() < state.currentTerm) return this;
    ActorRef<Replicator.Command> replicator = replicators.get(r.from());
    if (replicator == null) return this;
    recentlyActive.add(r.from());
    if (r.installed() && r.lastIncludedIndex() > state.log.lastIndex()) {
      throw new IllegalStateException(state.selfId + ": " + r.from() + " installed a snapshot up to "
          + r.lastIncludedIndex() + " beyond our last index " + state.log.lastIndex() + " in term " + state.currentTerm);
    }
    replicator.tell(new Replicator.SnapshotAck(r.lastIncludedIndex(), r.chunkOffset(), r.nextOffset(), r.installed()));
    if (!r.installed()) return this;
    matchIndex.merge(r.from(), r.lastIncludedIndex(), Math::max);
    return maybeCommit();
  }

  @Override
  void onNewSnapshot() {
    Replicator.NewerSnapshot newer = new Replicator.NewerSnapshot(state.snapshot.index());
    for (ActorRef<Replicator.Command> r : replicators.values()) r.tell(newer);
  }

  @Override
  Behavior<ServerCommand> onHeartbeatResponse(HeartbeatResponse r) {
    if (r.term() < state.currentTerm || !replicators.containsKey(r.from())) return this;
    recentlyActive.add(r.from());
    if (lease != null) lease.acked(r.from(), r.round(), state.config);
    reads.acked(r.from(), r.round(), state.config);
    handOver.onHeartbeatResponse(r.from());
    return this;
  }

  @Override
  Behavior<ServerCommand> onFetchEntries(Internal.FetchEntries f) {
    ActorRef<Replicator.Command> replicator = replicators.get(f.peer());
    if (replicator == null) return this;
    if (f.fromIndex() < state.log.firstIndex()) {
      // Compacted away (§7): the follower needs our snapshot first.
      if (state.snapshot.index() < state.log.firstIndex() - 1) {
        throw new IllegalStateException(state.selfId + ": the log starts at " + state.log.firstIndex()
            + " but the latest snapshot covers only up to " + state.snapshot.index());
      }
      replicator.tell(new Replicator.SendSnapshot(state.snapshot));
      return this;
    }
    long from = f.fromIndex();
    int window = state.settings.window();
    if (!state.log.holds(from) && from <= state.log.lastIndex()) {
      // Left memory (log.memory-bytes-max): read back from the journal, straight to the replicator.
      state.logActor.tell(new RaftLog.Read(from, state.settings.batchEntriesMax() * window,
          state.settings.batchBytesMax() * window, f.replyTo()));
      return this;
    }
    List<LogEntry> slice = state.log.slice(from, state.settings.batchEntriesMax() * window,
        state.settings.batchBytesMax() * window);
    replicator.tell(new Replicator.Entries(from - 1, state.log.termAt(from - 1), slice, true));
    return this;
  }

  /** Election Safety: two leaders in one term is a broken invariant, never an operational condition. */
  @Override
  Behavior<ServerCommand> onAppendEntries(AppendEntries ae) {
    if (ae.term() < state.currentTerm) return rejectStaleTerm(ae);
    throw new IllegalStateException(state.selfId + " is leader of term " + state.currentTerm + " but " + ae.from()
        + " also sends AppendEntries as leader of that term");
  }

  @Override
  Behavior<ServerCommand> onHeartbeat(Heartbeat hb) {
    if (hb.term() < state.currentTerm) return super.onHeartbeat(hb);
    throw new IllegalStateException(state.selfId + " is leader of term " + state.currentTerm + " but " + hb.from()
        + " also sends heartbeats as leader of that term");
  }

  // ---- clients ----

  @Override
  Behavior<ServerCommand> onClientCommand(ClientRequest.ClientCommand c) {
    if (handOver.underWay()) {
      // Handing over: a new entry would move the goal the target must reach. Held until the new leader
      // is known, then named to the client (HeldRequests); when that cannot be, not applied: the client
      // retries. Naming the target now would not help: it does not lead yet.
      if (!state.held.hold(c)) c.reply(new ClientReply.NotLeader(null));
      return this;
    }
    if (c.command().length > state.settings.requestBytesMax()) {
      c.reply(new ClientReply.Rejected("command of " + c.command().length + " bytes exceeds"
          + " pekko-raft.client.request-bytes-max = " + state.settings.requestBytesMax()));
      return this;
    }
    if (c.hasCommand() && !readable(c.command())) {
      c.reply(new ClientReply.Rejected("the command cannot be deserialized by the leader; not applied"));
      return this;
    }
    if (pendingCommands.size() >= state.settings.pendingMax()) {
      c.reply(new ClientReply.Rejected("overloaded: " + pendingCommands.size()
          + " commands are waiting to commit (pekko-raft.client.pending-max); not applied, retry later"));
      return this;
    }
    long index = state.log.lastIndex() + 1;
    pendingCommands.put(index, c);
    appendAsLeader(SessionEntries.entryFor(c, index, state.currentTerm, state.settings.session()));
    return maybeCommit(); // a single-node group commits as soon as its own write is durable
  }

  /**
   * A committed command that a replica cannot read stops that replica (it is never skipped), so bytes
   * that do not deserialize here, which a client of the actor protocol could send, are never appended.
   */
  private boolean readable(byte[] command) {
    try {
      codec.fromBytes(command);
      return true;
    } catch (RuntimeException e) {
      state.ctx.getLog().debug("{} refuses a command that cannot be deserialized: {}", state.selfId, e.toString());
      return false;
    }
  }

  @Override
  Behavior<ServerCommand> onClientQuery(ClientRequest.ClientQuery q) {
    if (q.consistency() == ReadConsistency.STALE) return super.onClientQuery(q);
    if (q.query().length > state.settings.requestBytesMax()) {
      q.reply(new ClientReply.Rejected("query of " + q.query().length + " bytes exceeds"
          + " pekko-raft.client.request-bytes-max = " + state.settings.requestBytesMax()));
      return this;
    }
    if (reads.waiting() >= state.settings.pendingMax()) {
      q.reply(new ClientReply.Rejected("overloaded: " + reads.waiting() + " reads are waiting to be"
          + " confirmed (pekko-raft.client.pending-max); retry later"));
      return this;
    }
    boolean termCommitted = state.log.termAt(state.commitIndex) == state.currentTerm;
    if (q.consistency() == ReadConsistency.LEASE && lease != null && termCommitted
        && lease.holds(state.nanos.getAsLong())) {
      // §6.4.1: no other leader can exist while the lease holds, so our commit index is up to date.
      state.runner.tell(new StateMachineRunner.Read(state.commitIndex, q));
      return this;
    }
    // §6.4: until our no-op commits, commitIndex may be behind; the read waits for it. FOLLOWER reads that
    // reach the leader, and LEASE reads without a lease, are served as LINEARIZABLE.
    reads.read(q, state.commitIndex, termCommitted, state.config);
    return this;
  }

  /** A follower serving FOLLOWER reads asks for a read index: confirmed like our own reads, by a heartbeat round. */
  @Override
  Behavior<ServerCommand> onReadIndexRequest(RaftMessage.ReadIndexRequest r) {
    if (reads.waiting() >= state.settings.pendingMax()) {
      state.transport.send(r.from(), new RaftMessage.ReadIndexResponse(state.currentTerm, state.selfId, r.id(), false, 0));
      return this;
    }
    reads.read(r, state.commitIndex, state.log.termAt(state.commitIndex) == state.currentTerm, state.config);
    return this;
  }

  /** Renew the lease: a heartbeat round now, unless one is out. */
  @Override
  Behavior<ServerCommand> onLeaseRound() {
    reads.keepAlive(state.config);
    return this;
  }

  // ---- leadership transfer (thesis §3.10): LeadershipHandOver ----

  @Override
  Behavior<ServerCommand> onTransferLeadership(TransferLeadership t) {
    handOver.request(t);
    // The target will campaign with transfer = true, which voters grant although they hear from us: the
    // lease no longer keeps another leader away.
    if (lease != null && handOver.underWay()) lease.end();
    return this;
  }

  @Override
  Behavior<ServerCommand> onTransferEnded(TransferWatch.Ended e) {
    handOver.ended(e);
    if (lease != null && !handOver.underWay()) lease.resume(); // still leading: later rounds renew it
    return this;
  }

  // ---- leaving ----

  @Override
  Behavior<ServerCommand> onCheckQuorum() {
    recentlyActive.add(state.selfId);
    boolean quorum = Quorum.isQuorum(state.config, recentlyActive);
    activeRoundBefore = new HashSet<>(recentlyActive);
    recentlyActive.clear();
    if (quorum || !state.settings.checkQuorum()) return this;
    state.ctx.getLog().warn("{} steps down as leader of group {} in term {}: no quorum answered within {} ms",
        state.selfId, state.groupId, state.currentTerm, state.settings.electionTimeoutMin().toMillis());
    failPending(new ClientReply.NoQuorum("the leader lost contact with a quorum; outcome unknown"));
    state.leaderContact = false;
    return becomeFollower();
  }

  @Override
  void onLeave() {
    state.timers.cancel(ServerState.CHECK_QUORUM_TIMER);
    state.timers.cancel(LEASE_TIMER);
    if (lease != null) lease.end(); // a leader that stepped down holds no lease
    for (ActorRef<Replicator.Command> r : replicators.values()) state.ctx.stop(r);
    replicators.clear();
    if (state.leaderId != null && state.leaderId.equals(state.selfId)) state.leaderId = null;
    state.leaderContact = false;
    failPending(new ClientReply.Timeout("leadership was lost before the command committed; outcome unknown"));
    membership.leadershipEnded(state.selfId + " lost its leadership before the change committed");
  }

  /** Appended commands: outcome unknown (another leader may commit them); reads: not served. */
  @Override
  void onStop() {
    failPending(new ClientReply.Timeout("the server of group " + state.groupId + " on member " + state.selfId
        + " stopped before the command committed; outcome unknown"));
    membership.leadershipEnded("the server of " + state.selfId + " stopped before the change committed");
  }

  private void failPending(ClientReply reply) {
    ReplyBatch answers = new ReplyBatch();
    for (ClientRequest request : pendingCommands.values()) answers.add(request, reply);
    answers.send();
    pendingCommands.clear();
    for (ServerCommand read : reads.drain()) {
      if (read instanceof ClientRequest.ClientQuery q) {
        q.reply(new ClientReply.NotLeader(null));
      } else {
        RaftMessage.ReadIndexRequest r = (RaftMessage.ReadIndexRequest) read;
        state.transport.send(r.from(), new RaftMessage.ReadIndexResponse(state.currentTerm, state.selfId, r.id(), false, 0));
      }
    }
  }
}
