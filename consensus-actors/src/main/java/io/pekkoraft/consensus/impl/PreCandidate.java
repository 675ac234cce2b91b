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

  private final long proposedTerm;
  private final Map<String, Boolean> votes = new HashMap<>();

  static Behavior<ServerCommand> start(ServerState state) {
    PreCandidate pc = new PreCandidate(state);
    return pc.evaluate();
  }

  private PreCandidate(ServerState state) {
    super(state);
    state.forgetLeader();
    proposedTerm = state.currentTerm + 1;
    state.becameRole(RaftRole.PRE_CANDIDATE);
    state.resetElectionTimer();
    votes.put(state.selfId, true);
    RequestVote request = new RequestVote(proposedTerm, state.selfId, state.log.lastIndex(), state.log.lastTerm(), true, false);
    for (String voter : state.config.members()) {
      if (!voter.equals(state.selfId) && state.config.isVoter(voter)) state.sendAfterDurable(voter, request);
    }
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
    if (result == Quorum.VoteResult.WON) return Candidate.start(state, false);
    if (result == Quorum.VoteResult.LOST) return becomeFollower();
    return this;
  }

  @Override
  Behavior<ServerCommand> onElectionTimeout() {
    return PreCandidate.start(state);
  }
}
