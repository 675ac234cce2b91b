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
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.protocol.TransferLeadership;
import io.pekkoraft.consensus.protocol.TransferReply;
import io.pekkoraft.consensus.rules.CommitRule;
import io.pekkoraft.consensus.rules.Quorum;
import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.serialization.KryoCodec;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.util.ArrayDeque;
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

  private record PendingRead(long readIndex, ClientRequest.ClientQuery query, long round) {}

  private final Map<String, ActorRef<Replicator.Command>> replicators = new HashMap<>();
  private final Map<String, Long> matchIndex = new HashMap<>();
  private final AtomicLong sharedCommit;
  /** Reads each command before it is appended: one that no replica can read must never commit. */
  private final KryoCodec codec;
  private final NavigableMap<Long, ClientRequest> pendingCommands = new TreeMap<>();
  private final Set<String> recentlyActive = new HashSet<>();
  /** Our own log is durable up to here: the leader's vote for its own entries (§10.2.1 of the thesis). */
  private long selfPersisted;

  private final ArrayDeque<ClientRequest.ClientQuery> readsAwaitingTermCommit = new ArrayDeque<>();
  private final ArrayDeque<PendingRead> pendingReads = new ArrayDeque<>();
  private final Map<String, Long> roundAcked = new HashMap<>();
  private long round;
  private long roundInFlight;

  /** Leadership transfer under way (thesis §3.10): its target and watch, or null for none. */
  private String transferTarget;
  private ActorRef<TransferWatch.Command> transferWatch;
  private boolean timeoutNowSent;

  static Behavior<ServerCommand> start(ServerState state) {
    Leader leader = new Leader(state);
    // Requests held during the hand-over that made us leader (or during one of ours that we survived):
    // served now, so that the commands join our no-op in one write and one AppendEntries.
    for (ClientRequest held : state.held.takeAll()) leader.onClientRequest(held);
    return leader.maybeCommit();
  }

  private Leader(ServerState state) {
    super(state);
    state.timers.cancel(ServerState.ELECTION_TIMER);
    state.timers.cancel(ServerState.LEADER_CONTACT_TIMER);
    state.leaderId = state.selfId;
    state.leaderContact = true; // we are the leader: vote requests must not unseat us while a quorum answers
    state.becameRole(RaftRole.LEADER);
    state.ctx.getLog().info("{} is the leader of group {} in term {}", state.selfId, state.groupId, state.currentTerm);
    sharedCommit = new AtomicLong(state.commitIndex);
    codec = RaftSerialization.get(state.ctx.getSystem()).codec();
    long lastAtElection = state.log.lastIndex();
    state.persist.afterDurable(() -> selfPersisted = Math.max(selfPersisted, lastAtElection));
    for (String peer : state.config.members()) {
      if (peer.equals(state.selfId)) continue;
      matchIndex.put(peer, 0L);
      spawnReplicator(peer);
    }
    if (state.settings.checkQuorum()) {
      state.timers.startTimerWithFixedDelay(ServerState.CHECK_QUORUM_TIMER, Internal.CheckQuorum.INSTANCE,
          state.settings.electionTimeoutMin());
    }
    // §5.4.2 and §8: a no-op of our term lets earlier entries commit, and lets reads start.
    appendAsLeader(LogEntry.noop(state.log.lastIndex() + 1, state.currentTerm));
  }

  /** A replicator for {@code peer}, watched: should it fail, {@link #onChildTerminated} starts another. */
  private void spawnReplicator(String peer) {
    ActorRef<Replicator.Command> replicator = state.ctx.spawnAnonymous(Replicator.create(peer, state, sharedCommit));
    state.ctx.watch(replicator);
    replicators.put(peer, replicator);
  }

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
      if (roundInFlight != 0) replicators.get(peer).tell(new Replicator.HeartbeatNow(roundInFlight)); // reads waiting
      return this;
    }
    return this;
  }

  /** Appended but not yet pushed to the replicators (see {@link Internal.PushEntries}); the entry before them. */
  private final ArrayList<LogEntry> unpushed = new ArrayList<>();
  private long unpushedPrevIndex;
  private long unpushedPrevTerm;

  private void appendAsLeader(LogEntry entry) {
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
      while (!readsAwaitingTermCommit.isEmpty()) startRead(readsAwaitingTermCommit.poll());
    }
    handOverWhenCaughtUp(false);
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
    roundAcked.merge(r.from(), r.round(), Math::max);
    confirmReads();
    if (r.from().equals(transferTarget)) handOverWhenCaughtUp(true); // TimeoutNow may have been lost
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
    if (transferTarget != null) {
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
    if (!readable(c.command())) {
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
    appendAsLeader(new LogEntry(index, state.currentTerm, LogEntry.Type.COMMAND, c.command()));
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
    if (pendingReads.size() + readsAwaitingTermCommit.size() >= state.settings.pendingMax()) {
      q.reply(new ClientReply.Rejected("overloaded: " + pendingReads.size() + " reads are waiting to be"
          + " confirmed (pekko-raft.client.pending-max); retry later"));
      return this;
    }
    if (state.log.termAt(state.commitIndex) != state.currentTerm) {
      readsAwaitingTermCommit.add(q); // §6.4: wait until our no-op commits, so commitIndex is current
    } else {
      startRead(q);
    }
    return this;
  }

  /** ReadIndex (thesis §6.4): record the commit index, then confirm leadership with one heartbeat round. */
  private void startRead(ClientRequest.ClientQuery q) {
    pendingReads.add(new PendingRead(state.commitIndex, q, round + 1));
    if (roundInFlight == 0) startRound();
  }

  private void startRound() {
    round++;
    roundInFlight = round;
    Replicator.HeartbeatNow now = new Replicator.HeartbeatNow(round);
    for (ActorRef<Replicator.Command> r : replicators.values()) r.tell(now);
    confirmReads();
  }

  /** Serve every read of the confirmed round once a quorum answered its heartbeats; then start the next. */
  private void confirmReads() {
    if (roundInFlight == 0) return;
    Set<String> acked = new HashSet<>();
    acked.add(state.selfId);
    roundAcked.forEach((peer, r) -> {
      if (r >= roundInFlight) acked.add(peer);
    });
    if (!Quorum.isQuorum(state.config, acked)) return;
    while (!pendingReads.isEmpty() && pendingReads.peek().round() <= roundInFlight) {
      PendingRead read = pendingReads.poll();
      state.runner.tell(new StateMachineRunner.Read(read.readIndex(), read.query()));
    }
    roundInFlight = 0;
    if (!pendingReads.isEmpty()) startRound();
  }

  // ---- leadership transfer (thesis §3.10) ----

  @Override
  Behavior<ServerCommand> onTransferLeadership(TransferLeadership t) {
    if (transferWatch != null) {
      if (t.target() == null || t.target().equals(transferTarget)) {
        transferWatch.tell(new TransferWatch.Waiter(t.replyTo()));
      } else {
        t.replyTo().tell(new TransferReply.Rejected("leadership of group " + state.groupId + " is being handed over"
            + " to " + transferTarget + "; not to " + t.target() + " at the same time"));
      }
      return this;
    }
    String target = t.target() != null ? t.target() : mostUpToDateVoter();
    if (target == null) {
      t.replyTo().tell(new TransferReply.Rejected("group " + state.groupId + " has no other voting member to hand"
          + " leadership to"));
      return this;
    }
    if (target.equals(state.selfId)) {
      t.replyTo().tell(new TransferReply.Transferred(state.selfId));
      return this;
    }
    if (!state.config.isVoter(target)) {
      t.replyTo().tell(new TransferReply.Rejected(target + " is not a voting member of group " + state.groupId
          + " " + state.config.voters() + "; only a voter can lead"));
      return this;
    }
    state.ctx.getLog().info("{} hands leadership of group {} in term {} over to {}", state.selfId, state.groupId,
        state.currentTerm, target);
    transferTarget = target;
    timeoutNowSent = false;
    transferWatch = state.ctx.spawnAnonymous(TransferWatch.create(state.groupId, state.selfId, target,
        state.currentTerm, state.settings.leadershipTransferTimeout(), state.ctx.getSelf(), t.replyTo()));
    state.held.begin();
    if (matchIndex.getOrDefault(target, 0L) < state.log.lastIndex()) {
      // Catch the target up now rather than after the retransmit interval, if a batch to it was lost.
      ActorRef<Replicator.Command> replicator = replicators.get(target);
      if (replicator != null) replicator.tell(Replicator.ResendNow.INSTANCE);
    }
    handOverWhenCaughtUp(false);
    return this;
  }

  /** The voter (other than us) with the highest match index; the first by member id among equals. */
  private String mostUpToDateVoter() {
    String best = null;
    for (String peer : state.config.members()) {
      if (peer.equals(state.selfId) || !state.config.isVoter(peer)) continue;
      if (best == null || matchIndex.getOrDefault(peer, 0L) > matchIndex.getOrDefault(best, 0L)) best = peer;
    }
    return best;
  }

  /**
   * Order the target to campaign once it holds our whole log and all of it is committed. The first
   * makes it electable (election restriction); the second answers every client whose command we
   * accepted before the transfer, instead of leaving its outcome unknown when we step down. No new entry
   * is appended meanwhile, so both hold from then on. {@code again}: repeat a TimeoutNow already sent.
   */
  private void handOverWhenCaughtUp(boolean again) {
    if (transferTarget == null || (timeoutNowSent && !again)) return;
    long last = state.log.lastIndex();
    if (matchIndex.getOrDefault(transferTarget, 0L) < last || state.commitIndex < last) return;
    timeoutNowSent = true;
    state.sendAfterDurable(transferTarget, new TimeoutNow(state.currentTerm, state.selfId));
  }

  /** The transfer's deadline passed and we still lead: serve clients again. */
  @Override
  Behavior<ServerCommand> onTransferEnded(TransferWatch.Ended e) {
    if (!e.watch().equals(transferWatch)) return this;
    state.ctx.getLog().warn("{} keeps leading group {} in term {}: {} did not take over in time", state.selfId,
        state.groupId, state.currentTerm, transferTarget);
    transferTarget = null;
    transferWatch = null;
    timeoutNowSent = false;
    state.held.release(); // still within the hold's bound: serve them
    return this;
  }

  // ---- leaving ----

  @Override
  Behavior<ServerCommand> onCheckQuorum() {
    recentlyActive.add(state.selfId);
    boolean quorum = Quorum.isQuorum(state.config, recentlyActive);
    recentlyActive.clear();
    if (quorum) return this;
    state.ctx.getLog().warn("{} steps down as leader of group {} in term {}: no quorum answered within {} ms",
        state.selfId, state.groupId, state.currentTerm, state.settings.electionTimeoutMin().toMillis());
    failPending(new ClientReply.NoQuorum("the leader lost contact with a quorum; outcome unknown"));
    state.leaderContact = false;
    return becomeFollower();
  }

  @Override
  void onLeave() {
    state.timers.cancel(ServerState.CHECK_QUORUM_TIMER);
    for (ActorRef<Replicator.Command> r : replicators.values()) state.ctx.stop(r);
    replicators.clear();
    if (state.leaderId != null && state.leaderId.equals(state.selfId)) state.leaderId = null;
    state.leaderContact = false;
    failPending(new ClientReply.Timeout("leadership was lost before the command committed; outcome unknown"));
  }

  /** Appended commands: outcome unknown (another leader may commit them); reads: not served. */
  @Override
  void onStop() {
    failPending(new ClientReply.Timeout("the server of group " + state.groupId + " on member " + state.selfId
        + " stopped before the command committed; outcome unknown"));
  }

  private void failPending(ClientReply reply) {
    ReplyBatch answers = new ReplyBatch();
    for (ClientRequest request : pendingCommands.values()) answers.add(request, reply);
    answers.send();
    pendingCommands.clear();
    List<ClientRequest.ClientQuery> reads = new ArrayList<>(readsAwaitingTermCommit);
    for (PendingRead r : pendingReads) reads.add(r.query());
    readsAwaitingTermCommit.clear();
    pendingReads.clear();
    for (ClientRequest.ClientQuery q : reads) q.reply(new ClientReply.NotLeader(null));
  }
}
