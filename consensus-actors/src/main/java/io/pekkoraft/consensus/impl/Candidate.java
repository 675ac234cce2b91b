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
  Candidate(RaftNode node, boolean transfer) {
    super(node);
    this.transfer = transfer;
  }

  @Override
  RaftRole role() {
    return RaftRole.CANDIDATE;
  }

  @Override
  Behavior<ServerCommand> start() {
    node.forgetLeader();
    node.adoptTerm(node.currentTerm + 1);
    node.castVote(node.selfId);
    node.becameRole(RaftRole.CANDIDATE);
    if (transfer) node.held.begin(); // clients sent here by the departing leader wait for the outcome
    node.resetElectionTimer();
    long term = node.currentTerm;
    node.persist.afterDurable(() -> {
      if (node.currentTerm == term) votes.put(node.selfId, true);
    });
    RequestVote request = new RequestVote(term, node.selfId, node.log.lastIndex(), node.log.lastTerm(), false, transfer);
    for (String voter : node.config.members()) {
      if (!voter.equals(node.selfId) && node.config.isVoter(voter)) node.sendAfterDurable(voter, request);
    }
    return evaluate();
  }

  @Override
  Behavior<ServerCommand> onRequestVoteResponse(RequestVoteResponse r) {
    if (r.preVote() || r.term() != node.currentTerm) return this;
    votes.put(r.from(), r.granted());
    return evaluate();
  }

  @Override
  Behavior<ServerCommand> afterPersisted() {
    return evaluate(); // our own vote may just have become durable
  }

  private Behavior<ServerCommand> evaluate() {
    if (!votes.containsKey(node.selfId)) return this;
    Quorum.VoteResult result = Quorum.voteResult(node.config, votes);
    if (result == Quorum.VoteResult.WON) return become(new Leader(node));
    if (result == Quorum.VoteResult.LOST) return becomeFollower();
    return this;
  }

  @Override
  Behavior<ServerCommand> onElectionTimeout() {
    return become(node.settings.preVote() ? new PreCandidate(node) : new Candidate(node, false));
  }
}
