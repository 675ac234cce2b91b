package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.protocol.RaftMessage.TimeoutNow;
import io.pekkoraft.consensus.protocol.ServerCommand;
import org.apache.pekko.actor.typed.Behavior;

/**
 * Learner (thesis §4.2.1): follows the leader's log and snapshots like a {@link Follower}, and answers it,
 * but never votes in a way that counts, never counts towards a quorum (the leader's quorums are over the
 * configuration's voters only) and never campaigns: it has no election timer. A server is a learner while
 * its configuration does not make it a voter: a learner of the configuration, a node waiting to be added
 * (its configuration does not name it yet), or one that was removed. It serves STALE reads from its state
 * machine, and forwards other requests to the leader it knows.
 */
final class Learner extends Follower {

  Learner(ServerState state) {
    super(state);
  }

  @Override
  RaftRole role() {
    return RaftRole.LEARNER;
  }

  @Override
  Learner start() {
    state.becameRole(RaftRole.LEARNER);
    state.timers.cancel(ServerState.ELECTION_TIMER);
    return this;
  }

  @Override
  Behavior<ServerCommand> onElectionTimeout() {
    return this; // a timer of the follower it was; a learner never campaigns
  }

  @Override
  Behavior<ServerCommand> onTimeoutNow(TimeoutNow t) {
    state.ctx.getLog().debug("{} ignores TimeoutNow from {}: a learner never campaigns", state.selfId, t.from());
    return this;
  }
}
