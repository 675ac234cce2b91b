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

  PreCandidate(RaftNode node) {
    super(node);
  }

  @Override
  RaftRole role() {
    return RaftRole.PRE_CANDIDATE;
  }

  @Override
  Behavior<ServerCommand> start() {
    node.forgetLeader();
    proposedTerm = node.currentTerm + 1;
    node.becameRole(RaftRole.PRE_CANDIDATE);
    node.resetElectionTimer();
    votes.put(node.selfId, true);
    RequestVote request = new RequestVote(proposedTerm, node.selfId, node.log.lastIndex(), node.log.lastTerm(), true, false);
    for (String voter : node.config.members()) {
      if (!voter.equals(node.selfId) && node.config.isVoter(voter)) node.sendAfterDurable(voter, request);
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
    Quorum.VoteResult result = Quorum.voteResult(node.config, votes);
    if (result == Quorum.VoteResult.WON) return become(new Candidate(node, false));
    if (result == Quorum.VoteResult.LOST) return becomeFollower();
    return this;
  }

  @Override
  Behavior<ServerCommand> onElectionTimeout() {
    return become(new PreCandidate(node)); // a new round: earlier answers no longer count
  }
}
