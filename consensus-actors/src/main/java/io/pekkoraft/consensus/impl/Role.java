package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.protocol.ClientBatch;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.MembershipReply;
import io.pekkoraft.consensus.protocol.MembershipRequest;
import io.pekkoraft.consensus.protocol.ServerStatus;
import io.pekkoraft.consensus.protocol.RaftMessage;
import io.pekkoraft.consensus.protocol.RaftMessage.AppendEntries;
import io.pekkoraft.consensus.protocol.RaftMessage.AppendEntriesResponse;
import io.pekkoraft.consensus.protocol.RaftMessage.Heartbeat;
import io.pekkoraft.consensus.protocol.RaftMessage.HeartbeatResponse;
import io.pekkoraft.consensus.protocol.RaftMessage.InstallSnapshot;
import io.pekkoraft.consensus.protocol.RaftMessage.InstallSnapshotResponse;
import io.pekkoraft.consensus.protocol.RaftMessage.RequestVote;
import io.pekkoraft.consensus.protocol.RaftMessage.RequestVoteResponse;
import io.pekkoraft.consensus.protocol.RaftMessage.TimeoutNow;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.protocol.TransferLeadership;
import io.pekkoraft.consensus.protocol.TransferReply;
import io.pekkoraft.consensus.rules.RoleTransitions;
import io.pekkoraft.consensus.rules.VoteRules;
import java.util.List;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * What every role does the same way: the term check of §5.1 on every RPC, voting, forwarding clients to
 * the leader, and group commit bookkeeping. Each role ({@link Follower}, {@link PreCandidate},
 * {@link Candidate}, {@link Leader}) overrides the handlers where it differs. Handlers return the next
 * behavior; a role change hands the message that caused it to the new role.
 *
 * <p>Roles change in one place, {@link #become}: it checks the change against the role state diagram
 * ({@link RoleTransitions}), runs the leaving role's {@link #onLeave}, logs the change and runs the new
 * role's {@link #start}. A constructor only sets fields; whatever entering a role does is in its start.
 */
abstract class Role extends AbstractBehavior<ServerCommand> {

  protected final ServerState state;

  Role(ServerState state) {
    super(state.ctx);
    this.state = state;
  }

  /** The first role of a server that recovered its state: a follower. */
  static Behavior<ServerCommand> initial(ServerState state) {
    Follower first = state.config.isVoter(state.selfId) ? new Follower(state) : new Learner(state);
    state.ctx.getLog().debug("{} of group {} starts as {} in term {}", state.selfId, state.groupId, first.role(),
        state.currentTerm);
    if (!state.config.members().contains(state.selfId)) {
      state.ctx.getLog().info("{} is not a member of group {} (configuration {}): it waits, as a non-member, until a"
          + " leader adds it", state.selfId, state.groupId, state.config);
    }
    return first.start();
  }

  /** Which role this is, as the diagram and {@link io.pekkoraft.consensus.RoleChanged} name it. */
  abstract RaftRole role();

  /**
   * Enter this role, once, after the previous one left: timers, RoleChanged, the requests it sends. Returns
   * the behavior to continue with, which may be a further role (an election a single voter wins at once).
   */
  abstract Behavior<ServerCommand> start();

  /**
   * The one way to change roles. {@code next} has not started yet (its constructor only set fields).
   * A change the role state diagram does not have is a broken invariant: the server stops.
   */
  final Behavior<ServerCommand> become(Role next) {
    return become(next, false);
  }

  private Behavior<ServerCommand> become(Role next, boolean newerTerm) {
    if (!RoleTransitions.allowed(role(), next.role(), newerTerm)) {
      throw new IllegalStateException(state.selfId + " of group " + state.groupId + " in term " + state.currentTerm
          + ": " + role() + " -> " + next.role() + (newerTerm ? " on a higher term" : "")
          + " is not a transition of the role state diagram");
    }
    onLeave();
    state.ctx.getLog().debug("{} of group {}: {} -> {} in term {}", state.selfId, state.groupId, role(), next.role(),
        state.currentTerm);
    return next.start();
  }

  @Override
  public final Receive<ServerCommand> createReceive() {
    return newReceiveBuilder()
        .onMessage(RaftMessage.class, this::onRaftMessage)
        .onMessage(ClientRequest.ClientCommand.class, this::onClientCommand)
        .onMessage(ClientRequest.ClientQuery.class, this::onClientQuery)
        .onMessage(ClientBatch.class, this::onClientBatch)
        .onMessage(Internal.Persisted.class, this::onPersisted)
        .onMessageEquals(Internal.ElectionTimeout.INSTANCE, this::onElectionTimeout)
        .onMessageEquals(Internal.LeaderContactExpired.INSTANCE, this::onLeaderContactExpired)
        .onMessageEquals(Internal.CheckQuorum.INSTANCE, this::onCheckQuorum)
        .onMessage(Internal.FetchEntries.class, this::onFetchEntries)
        .onMessage(Internal.SnapshotTaken.class, this::onSnapshotTaken)
        .onMessageEquals(Internal.RetryApplyRead.INSTANCE, () -> {
          state.handCommittedToRunner();
          return this;
        })
        .onMessage(Internal.EntriesRead.class, r -> {
          state.onEntriesRead(r);
          return this;
        })
        .onMessageEquals(Internal.PushEntries.INSTANCE, this::onPushEntries)
        .onMessageEquals(Internal.LeaseRound.INSTANCE, this::onLeaseRound)
        .onMessageEquals(FollowerReads.Expired.INSTANCE, () -> {
          state.followerReads.expired();
          return this;
        })
        .onMessage(TransferLeadership.class, this::onTransferLeadership)
        .onMessage(MembershipRequest.class, this::onMembershipRequest)
        .onMessage(ServerStatus.Get.class, get -> {
          // The runner adds its applied index: it gets this after every Apply handed to it so far.
          state.runner.tell(new StateMachineRunner.ReportStatus(new ServerStatus(state.selfId, role(),
              state.currentTerm, state.leaderId, state.commitIndex, 0), get.replyTo()));
          return this;
        })
        .onMessage(TransferWatch.Ended.class, this::onTransferEnded)
        .onMessageEquals(HeldRequests.Expired.INSTANCE, () -> {
          state.held.release(); // no leader within the bound: handled now, answered NotLeader unless one is known
          return this;
        })
        .onSignal(Terminated.class, this::onTerminated)
        .onSignal(PostStop.class, stop -> {
          state.held.answerAllNotLeader();
          state.followerReads.answerAllNotLeader();
          state.dropIncoming();
          onStop();
          return this;
        })
        .build();
  }

  /**
   * §5.1: "If RPC request or response contains term T > currentTerm: set currentTerm = T, convert to follower."
   * Before that, a sender answering under a member's name from another disk than the configuration records
   * ({@link ReplicaIdentity}) is refused: it lost the votes and entries it stood for, and must not even
   * raise our term.
   */
  private Behavior<ServerCommand> onRaftMessage(RaftMessage m) {
    if (!state.replicas.accepts(m.from(), ReplicaIdentity.of(m), state.config)) {
      if (m instanceof RequestVote rv) refuse(rv, VoteRules.Decision.REJECT_REPLICA_MISMATCH);
      return onReplicaMismatch(m.from());
    }
    if (m instanceof RequestVote rv
        && !VoteRules.decideCandidate(rv, state.config, state.log.lastTerm(), state.log.lastIndex()).granted()) {
      // Not even the term of a non-voter's request counts (thesis §4.2.3).
      refuse(rv, VoteRules.Decision.REJECT_NOT_A_VOTER);
      return this;
    }
    if (m.term() > state.currentTerm) {
      if (m instanceof RequestVote rv) {
        // A pre-vote proposes a term; it never changes ours (thesis §9.6).
        if (rv.preVote()) return onRequestVote(rv);
        // Thesis §4.2.3: while we hear from a leader, a vote request must not even raise our term.
        if (state.leaderContact && !rv.transfer()) {
          refuse(rv, VoteRules.Decision.REJECT_LEADER_ALIVE);
          return this;
        }
      } else if (m instanceof RequestVoteResponse r && r.preVote() && r.granted()) {
        return onRequestVoteResponse(r); // carries the proposed term, not the voter's
      }
      state.adoptTerm(m.term());
      return becomeFollower(true).dispatch(m);
    }
    return dispatch(m);
  }

  final Behavior<ServerCommand> dispatch(RaftMessage m) {
    if (m instanceof AppendEntries ae) return onAppendEntries(ae);
    if (m instanceof Heartbeat hb) return onHeartbeat(hb);
    if (m instanceof AppendEntriesResponse r) return onAppendEntriesResponse(r);
    if (m instanceof HeartbeatResponse r) return onHeartbeatResponse(r);
    if (m instanceof RequestVote rv) return onRequestVote(rv);
    if (m instanceof RequestVoteResponse r) return onRequestVoteResponse(r);
    if (m instanceof InstallSnapshot is) return onInstallSnapshot(is);
    if (m instanceof InstallSnapshotResponse r) return onInstallSnapshotResponse(r);
    if (m instanceof TimeoutNow t) return onTimeoutNow(t);
    if (m instanceof RaftMessage.ReadIndexRequest r) return onReadIndexRequest(r);
    if (m instanceof RaftMessage.ReadIndexResponse r) {
      state.followerReads.answered(r);
      return this;
    }
    throw new IllegalStateException("unknown RPC " + m);
  }

  /**
   * Leave this role (stop what belongs to it) and become a follower in the current term; a
   * {@link Learner} when the configuration does not make this server a voter.
   */
  final Follower becomeFollower() {
    return becomeFollower(false);
  }

  private Follower becomeFollower(boolean newerTerm) {
    Follower follower = state.config.isVoter(state.selfId) ? new Follower(state) : new Learner(state);
    become(follower, newerTerm); // a follower's start returns the follower itself
    return follower;
  }

  /**
   * A message from {@code member} was refused: its disk is not the one the configuration records. Only a
   * leader does more (it stops replicating to it).
   */
  Behavior<ServerCommand> onReplicaMismatch(String member) {
    return this;
  }

  /** Stop timers, children and pending work that belong to this role only; run by {@link #become} alone. */
  void onLeave() {}

  /** The server stops (a failure, or its ActorSystem terminates): answer at once what this role waits on. */
  void onStop() {}

  // ---- votes: the same rules in every role ----

  Behavior<ServerCommand> onRequestVote(RequestVote rv) {
    VoteRules.Voter voter = new VoteRules.Voter(state.currentTerm, state.votedFor, state.log.lastTerm(),
        state.log.lastIndex(), state.leaderContact, state.config.replicaId(rv.from()));
    if (rv.preVote()) {
      VoteRules.Decision d = VoteRules.decidePreVote(rv, voter);
      long term = d.granted() ? rv.term() : state.currentTerm;
      state.sendAfterDurable(rv.from(), new RequestVoteResponse(term, state.selfId, d.granted(), true, state.replicaId));
      return this;
    }
    VoteRules.Decision d = VoteRules.decideVote(rv, voter);
    if (!d.granted()) {
      refuse(rv, d);
      return this;
    }
    state.castVote(rv.from());
    if (rv.transfer()) state.held.votedFor(rv.from()); // a departing leader sends its clients to its successor
    state.resetElectionTimer(); // §5.2: granting a vote restarts the election timeout
    state.sendAfterDurable(rv.from(), new RequestVoteResponse(state.currentTerm, state.selfId, true, false, state.replicaId));
    return this;
  }

  /** Refuse a vote or a pre-vote, answering with our own term. */
  private void refuse(RequestVote rv, VoteRules.Decision d) {
    state.ctx.getLog().debug("{} refuses {} to {} for term {}: {}", state.selfId, rv.preVote() ? "pre-vote" : "vote",
        rv.from(), rv.term(), d.rule);
    state.sendAfterDurable(rv.from(),
        new RequestVoteResponse(state.currentTerm, state.selfId, false, rv.preVote(), state.replicaId));
  }

  Behavior<ServerCommand> onRequestVoteResponse(RequestVoteResponse r) {
    return this; // only candidates count votes
  }

  // ---- replication: followers handle it; other roles defer to a follower of the same term ----

  Behavior<ServerCommand> onAppendEntries(AppendEntries ae) {
    if (ae.term() < state.currentTerm) return rejectStaleTerm(ae);
    return becomeFollower().onAppendEntries(ae); // a leader exists in our term (§5.2)
  }

  /** §5.1: reply false to an AppendEntries from an older term; our term in the reply makes that leader step down. */
  final Behavior<ServerCommand> rejectStaleTerm(AppendEntries ae) {
    state.sendAfterDurable(ae.from(), new AppendEntriesResponse(state.currentTerm, state.selfId, false, 0, 0, 0, ae.seq(),
        state.replicaId));
    return this;
  }

  Behavior<ServerCommand> onHeartbeat(Heartbeat hb) {
    if (hb.term() < state.currentTerm) {
      state.sendAfterDurable(hb.from(), new HeartbeatResponse(state.currentTerm, state.selfId, hb.round(), state.replicaId));
      return this;
    }
    return becomeFollower().onHeartbeat(hb);
  }

  Behavior<ServerCommand> onInstallSnapshot(InstallSnapshot is) {
    if (is.term() < state.currentTerm) {
      state.sendAfterDurable(is.from(),
          new InstallSnapshotResponse(state.currentTerm, state.selfId, is.lastIncludedIndex(), is.offset(), 0, false,
              state.replicaId));
      return this;
    }
    return becomeFollower().onInstallSnapshot(is); // a leader exists in our term
  }

  Behavior<ServerCommand> onInstallSnapshotResponse(InstallSnapshotResponse r) {
    return this; // stale: only a leader of this term uses it
  }

  /** Every role keeps the state machine's snapshots and compacts its log to them. */
  private Behavior<ServerCommand> onSnapshotTaken(Internal.SnapshotTaken t) {
    if (state.storeSnapshot(t.index(), t.term(), t.bytes())) {
      state.ctx.getLog().debug("{} of group {} compacted its log up to {} ({} bytes of snapshot)", state.selfId,
          state.groupId, t.index(), t.bytes());
      onNewSnapshot();
    }
    return this;
  }

  Behavior<ServerCommand> onPushEntries() {
    return this; // queued by a leadership that ended; its replicators are gone
  }

  /** A newer snapshot replaced the log up to its index. */
  void onNewSnapshot() {}

  Behavior<ServerCommand> onAppendEntriesResponse(AppendEntriesResponse r) {
    return this; // stale: only a leader of this term uses it
  }

  Behavior<ServerCommand> onHeartbeatResponse(HeartbeatResponse r) {
    return this;
  }

  // ---- clients: only the leader serves them; others forward once or name the leader ----

  /**
   * Each request of the batch as if it had arrived alone, in order. Should one of them change the role,
   * the rest go back to this actor, to be handled by the new role.
   */
  private Behavior<ServerCommand> onClientBatch(ClientBatch batch) {
    List<ClientRequest> requests = batch.requests();
    for (int i = 0; i < requests.size(); i++) {
      Behavior<ServerCommand> next = onClientRequest(requests.get(i));
      if (next != this) {
        if (i + 1 < requests.size()) state.ctx.getSelf().tell(new ClientBatch(requests.subList(i + 1, requests.size())));
        return next;
      }
    }
    return this;
  }

  /** A command or a query, handled as its kind. */
  final Behavior<ServerCommand> onClientRequest(ClientRequest request) {
    return request instanceof ClientRequest.ClientCommand c ? onClientCommand(c)
        : onClientQuery((ClientRequest.ClientQuery) request);
  }

  Behavior<ServerCommand> onClientCommand(ClientRequest.ClientCommand c) {
    forwardToLeader(c);
    return this;
  }

  /**
   * STALE: served from our own state, within its bound ({@link StateMachineRunner}); FOLLOWER: from our own
   * state too, once the leader gave a read index and we applied that far ({@link FollowerReads}); the
   * others go to the leader.
   */
  Behavior<ServerCommand> onClientQuery(ClientRequest.ClientQuery q) {
    if (q.consistency() == ReadConsistency.STALE) {
      state.runner.tell(new StateMachineRunner.Read(0, Math.max(state.commitIndex, state.leaderCommitSeen), q));
    } else if (q.consistency() == ReadConsistency.FOLLOWER) {
      state.followerReads.read(q);
    } else {
      forwardToLeader(q);
    }
    return this;
  }

  /** Not the leader: a read index request is refused, so the asker answers its reads NotLeader. */
  Behavior<ServerCommand> onReadIndexRequest(RaftMessage.ReadIndexRequest r) {
    state.transport.send(r.from(), new RaftMessage.ReadIndexResponse(state.currentTerm, state.selfId, r.id(), false, 0));
    return this;
  }

  /** Only a leader holding a lease renews it. */
  Behavior<ServerCommand> onLeaseRound() {
    return this;
  }

  /**
   * Forward once to the leader we know. When there is none, or the transport does not know where it is
   * yet (early in a cluster's life), answer NotLeader at once: nothing was delivered, so the client may
   * retry safely instead of waiting for its timeout. Except during a hand-over of leadership, on the
   * departing leader and on its target ({@link HeldRequests}): then the request waits for the new leader.
   */
  private void forwardToLeader(ClientRequest request) {
    String leader = state.leaderId;
    if (leader == null && state.held.hold(request)) return;
    boolean sent = leader != null && !leader.equals(state.selfId) && request.hops() == 0
        && state.transport.send(leader, request.forwarded());
    if (!sent) {
      request.reply(new ClientReply.NotLeader(leader == null || leader.equals(state.selfId) ? null : leader));
    }
  }

  // ---- leadership transfer (thesis §3.10): the leader and the follower it chose override these ----

  /** Only a follower acts on TimeoutNow, and only its own leader's. */
  Behavior<ServerCommand> onTimeoutNow(TimeoutNow t) {
    return this;
  }

  /** Not the leader: forward the request once to the leader we know, or name it. */
  Behavior<ServerCommand> onTransferLeadership(TransferLeadership t) {
    String leader = state.leaderId == null || state.leaderId.equals(state.selfId) ? null : state.leaderId;
    boolean sent = t.forward() && leader != null && state.transport.send(leader, t.forwarded());
    if (!sent) t.replyTo().tell(new TransferReply.NotLeader(leader));
    return this;
  }

  // ---- membership (thesis §4): the leader overrides this ----

  /** Not the leader: forward the request once to the leader we know, or name it. */
  Behavior<ServerCommand> onMembershipRequest(MembershipRequest request) {
    String leader = state.leaderId == null || state.leaderId.equals(state.selfId) ? null : state.leaderId;
    boolean sent = request.hops() == 0 && leader != null && state.transport.send(leader, request.forwarded());
    if (!sent) request.replyTo().tell(new MembershipReply.NotLeader(leader));
    return this;
  }

  /** A transfer's deadline passed; only a leader still holding back commands for it cares. */
  Behavior<ServerCommand> onTransferEnded(TransferWatch.Ended e) {
    return this;
  }

  // ---- internal ----

  private Behavior<ServerCommand> onPersisted(Internal.Persisted p) {
    state.persist.onPersisted(p.batchSeq());
    return afterPersisted();
  }

  /** Called after a batch became durable and the actions waiting for it ran. */
  Behavior<ServerCommand> afterPersisted() {
    return this;
  }

  Behavior<ServerCommand> onElectionTimeout() {
    return this;
  }

  private Behavior<ServerCommand> onLeaderContactExpired() {
    state.leaderContact = false;
    return this;
  }

  Behavior<ServerCommand> onCheckQuorum() {
    return this;
  }

  Behavior<ServerCommand> onFetchEntries(Internal.FetchEntries f) {
    return this; // a replicator of a leadership that ended
  }

  private Behavior<ServerCommand> onTerminated(Terminated t) {
    if (t.getRef().equals(state.logActor) || t.getRef().equals(state.runner)) {
      Throwable cause = t instanceof ChildFailed failed ? failed.getCause() : null;
      throw new IllegalStateException(state.selfId + " of group " + state.groupId + ": " + t.getRef().path().name()
          + " stopped (journal or state machine failure" + (cause != null ? ": " + cause.getMessage() : "")
          + "); stopping this node so it never answers for state it did not store", cause);
    }
    return onChildTerminated(t);
  }

  /** Another watched child stopped (a leader's replicator). */
  Behavior<ServerCommand> onChildTerminated(Terminated t) {
    return this;
  }
}
