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
 * Pre-Vote (thesis §9.6): before raising its term, a node asks the voters whether they would vote for it
 * in the next term. Only when a quorum says yes does it become a {@link Candidate}. A node that cannot
 * win, for example one that was cut off from the others, so never raises its term and never disrupts the
 * leader when it comes back.
 */
final class PreCandidate extends Role {

  private long proposedTerm;
  private final Map<String, Boolean> votes = new HashMap<>();

  PreCandidate(ServerState state) {
    super(state);
  }

  @Override
  RaftRole role() {
    return RaftRole.PRE_CANDIDATE;
  }

  @Override
  Behavior<ServerCommand> start() {
    state.forgetLeader();
    proposedTerm = state.currentTerm + 1;
    state.becameRole(RaftRole.PRE_CANDIDATE);
    state.resetElectionTimer();
    votes.put(state.selfId, true);
    RequestVote request = new RequestVote(proposedTerm, state.selfId, state.log.lastIndex(), state.log.lastTerm(), true, false,
        state.replicaId);
    for (String voter : state.config.members()) {
      if (!voter.equals(state.selfId) && state.config.isVoter(voter)) state.sendAfterDurable(voter, request);
    }
    return evaluate();
  }

  @Override
  Behavior<ServerCommand> onRequestVoteResponse(RequestVoteResponse r) {
    if (!r.preVote()) return this;
    if (r.granted() && r.term() != proposedTerm) return this; // an answer to an earlier round
    votes.put(r.from(), r.granted());
    return evaluate();
  }

  private Behavior<ServerCommand> evaluate() {
    Quorum.VoteResult result = Quorum.voteResult(state.config, votes);
    if (result == Quorum.VoteResult.WON) return become(new Candidate(state, false));
    if (result == Quorum.VoteResult.LOST) return becomeFollower();
    return this;
  }

  @Override
  Behavior<ServerCommand> onElectionTimeout() {
    return become(new PreCandidate(state)); // a new round: earlier answers no longer count
  }
}
