package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.protocol.RaftMessage.RequestVote;
import io.pekkoraft.consensus.protocol.RaftMessage.RequestVoteResponse;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.rules.Quorum;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.Behavior;

/**
 * Candidate (§5.2): raises its term, votes for itself, and asks every voter for its vote. Its own vote
 * counts only once term and vote are durable, so a crash can never make it vote twice in one term.
 */
final class Candidate extends Role {

  private final Map<String, Boolean> votes = new HashMap<>();
  /** This election was ordered by the leader handing over leadership (TimeoutNow). */
  private final boolean transfer;

  /** @param transfer this election was ordered by the leader handing over leadership */
  Candidate(ServerState state, boolean transfer) {
    super(state);
    this.transfer = transfer;
  }

  @Override
  RaftRole role() {
    return RaftRole.CANDIDATE;
  }

  @Override
  Behavior<ServerCommand> start() {
    state.forgetLeader();
    state.adoptTerm(state.currentTerm + 1);
    state.castVote(state.selfId);
    state.becameRole(RaftRole.CANDIDATE);
    if (transfer) state.held.begin(); // clients sent here by the departing leader wait for the outcome
    state.resetElectionTimer();
    long term = state.currentTerm;
    state.persist.afterDurable(() -> {
      if (state.currentTerm == term) votes.put(state.selfId, true);
    });
    RequestVote request = new RequestVote(term, state.selfId, state.log.lastIndex(), state.log.lastTerm(), false, transfer,
        state.replicaId);
    for (String voter : state.config.members()) {
      if (!voter.equals(state.selfId) && state.config.isVoter(voter)) state.sendAfterDurable(voter, request);
    }
    return evaluate();
  }

  @Override
  Behavior<ServerCommand> onRequestVoteResponse(RequestVoteResponse r) {
    if (r.preVote() || r.term() != state.currentTerm) return this;
    votes.put(r.from(), r.granted());
    return evaluate();
  }

  @Override
  Behavior<ServerCommand> afterPersisted() {
    return evaluate(); // our own vote may just have become durable
  }

  private Behavior<ServerCommand> evaluate() {
    if (!votes.containsKey(state.selfId)) return this;
    Quorum.VoteResult result = Quorum.voteResult(state.config, votes);
    if (result == Quorum.VoteResult.WON) return become(new Leader(state));
    if (result == Quorum.VoteResult.LOST) return becomeFollower();
    return this;
  }

  @Override
  Behavior<ServerCommand> onElectionTimeout() {
    return become(state.settings.preVote() ? new PreCandidate(state) : new Candidate(state, false));
  }
}
