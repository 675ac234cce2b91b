package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.protocol.RaftMessage.TimeoutNow;
import io.pekkoraft.consensus.protocol.TransferLeadership;
import io.pekkoraft.consensus.protocol.TransferReply;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A leader's hand-over of its leadership (thesis §3.10): the target, the {@link TransferWatch} that
 * answers the requesters, and the TimeoutNow sent once the target holds the whole log and all of it is
 * committed. While a transfer is under way the leader appends no new command ({@link #underWay}). Part
 * of one {@link Leader}: it ends with that leadership.
 */
final class LeadershipHandOver {

  private final ServerState state;
  /** The leader's match index of a peer (0 when unknown). */
  private final ToLongFunction<String> matchIndex;
  /** The leader's replicator to a peer, or null. */
  private final Function<String, ActorRef<Replicator.Command>> replicators;

  /** Transfer under way: its target and watch, or null for none. */
  private String transferTarget;
  private ActorRef<TransferWatch.Command> transferWatch;
  private boolean timeoutNowSent;

  LeadershipHandOver(ServerState state, ToLongFunction<String> matchIndex,
      Function<String, ActorRef<Replicator.Command>> replicators) {
    this.state = state;
    this.matchIndex = matchIndex;
    this.replicators = replicators;
  }

  /** A transfer is under way: new commands would move the goal the target must reach. */
  boolean underWay() {
    return transferTarget != null;
  }

  /** A follower answered a heartbeat: if it is the target, repeat TimeoutNow once it is due (one may have been lost). */
  void onHeartbeatResponse(String from) {
    if (from.equals(transferTarget)) whenCaughtUp(true);
  }

  /** A transfer asked of this leader: start it, join the one under way, or refuse. */
  void request(TransferLeadership t) {
    if (transferWatch != null) {
      if (t.target() == null || t.target().equals(transferTarget)) {
        transferWatch.tell(new TransferWatch.Waiter(t.replyTo()));
      } else {
        t.replyTo().tell(new TransferReply.Rejected("leadership of group " + state.groupId + " is being handed over"
            + " to " + transferTarget + "; not to " + t.target() + " at the same time"));
      }
      return;
    }
    String target = t.target() != null ? t.target() : mostUpToDateVoter();
    if (target == null) {
      t.replyTo().tell(new TransferReply.Rejected("group " + state.groupId + " has no other voting member to hand"
          + " leadership to"));
      return;
    }
    if (target.equals(state.selfId)) {
      t.replyTo().tell(new TransferReply.Transferred(state.selfId));
      return;
    }
    if (!state.config.isVoter(target)) {
      t.replyTo().tell(new TransferReply.Rejected(target + " is not a voting member of group " + state.groupId
          + " " + state.config.voters() + "; only a voter can lead"));
      return;
    }
    state.ctx.getLog().info("{} hands leadership of group {} in term {} over to {}", state.selfId, state.groupId,
        state.currentTerm, target);
    transferTarget = target;
    timeoutNowSent = false;
    transferWatch = state.ctx.spawnAnonymous(TransferWatch.create(state.groupId, state.selfId, target,
        state.currentTerm, state.settings.leadershipTransferTimeout(), state.ctx.getSelf(), t.replyTo()));
    state.held.begin();
    if (matchIndex.applyAsLong(target) < state.log.lastIndex()) {
      // Catch the target up now rather than after the retransmit interval, if a batch to it was lost.
      ActorRef<Replicator.Command> replicator = replicators.apply(target);
      if (replicator != null) replicator.tell(Replicator.ResendNow.INSTANCE);
    }
    whenCaughtUp(false);
  }

  /** The voter (other than us) with the highest match index; the first by member id among equals. */
  private String mostUpToDateVoter() {
    String best = null;
    for (String peer : state.config.members()) {
      if (peer.equals(state.selfId) || !state.config.isVoter(peer)) continue;
      if (best == null || matchIndex.applyAsLong(peer) > matchIndex.applyAsLong(best)) best = peer;
    }
    return best;
  }

  /**
   * Order the target to campaign once it holds our whole log and all of it is committed. The first
   * makes it electable (election restriction); the second answers every client whose command we
   * accepted before the transfer, instead of leaving its outcome unknown when we step down. No new entry
   * is appended meanwhile, so both hold from then on. {@code again}: repeat a TimeoutNow already sent.
   */
  void whenCaughtUp(boolean again) {
    if (transferTarget == null || (timeoutNowSent && !again)) return;
    long last = state.log.lastIndex();
    if (matchIndex.applyAsLong(transferTarget) < last || state.commitIndex < last) return;
    timeoutNowSent = true;
    state.sendAfterDurable(transferTarget, new TimeoutNow(state.currentTerm, state.selfId));
  }

  /** The transfer's deadline passed and we still lead: serve clients again. */
  void ended(TransferWatch.Ended e) {
    if (!e.watch().equals(transferWatch)) return;
    state.ctx.getLog().warn("{} keeps leading group {} in term {}: {} did not take over in time", state.selfId,
        state.groupId, state.currentTerm, transferTarget);
    transferTarget = null;
    transferWatch = null;
    timeoutNowSent = false;
    state.held.release(); // still within the hold's bound: serve them
  }
}
