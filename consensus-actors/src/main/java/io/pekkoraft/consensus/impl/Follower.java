package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.protocol.RaftMessage.AppendEntries;
import io.pekkoraft.consensus.protocol.RaftMessage.AppendEntriesResponse;
import io.pekkoraft.consensus.protocol.RaftMessage.Heartbeat;
import io.pekkoraft.consensus.protocol.RaftMessage.HeartbeatResponse;
import io.pekkoraft.consensus.protocol.RaftMessage.InstallSnapshot;
import io.pekkoraft.consensus.protocol.RaftMessage.InstallSnapshotResponse;
import io.pekkoraft.consensus.protocol.RaftMessage.TimeoutNow;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.rules.LogView;
import io.pekkoraft.persistence.LogEntry;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.Behavior;

/**
 * Follower (§5.2): answers the leader's RPCs, votes, and starts an election when it hears from no leader
 * within its randomized election timeout.
 */
class Follower extends Role {

  Follower(ServerState state) {
    super(state);
  }

  @Override
  RaftRole role() {
    return RaftRole.FOLLOWER;
  }

  @Override
  Follower start() {
    state.becameRole(RaftRole.FOLLOWER);
    state.resetElectionTimer();
    return this;
  }

  /**
   * The configuration may have changed with what we appended or installed: a follower that is no longer
   * a voter becomes a learner, and a learner that became a voter a follower.
   */
  final Behavior<ServerCommand> roleForConfiguration() {
    boolean voter = state.config.isVoter(state.selfId);
    if (voter == (role() == RaftRole.FOLLOWER)) return this;
    if (!voter) {
      state.ctx.getLog().info("{} of group {} is not a voter of configuration {}: it goes on as a {}", state.selfId,
          state.groupId, state.config, state.config.members().contains(state.selfId) ? "learner" : "non-member");
      return become(new Learner(state));
    }
    state.ctx.getLog().info("{} of group {} is a voter of configuration {}", state.selfId, state.groupId, state.config);
    return become(new Follower(state));
  }

  @Override
  Behavior<ServerCommand> onElectionTimeout() {
    if (!state.config.isVoter(state.selfId)) return roleForConfiguration(); // learners never campaign
    state.ctx.getLog().info("{} of group {} heard from no leader in term {}: starting an election",
        state.selfId, state.groupId, state.currentTerm);
    return become(state.settings.preVote() ? new PreCandidate(state) : new Candidate(state, false));
  }

  /** §5.3, receiver implementation of AppendEntries. */
  @Override
  Behavior<ServerCommand> onAppendEntries(AppendEntries ae) {
    if (ae.term() < state.currentTerm) return rejectStaleTerm(ae);
    state.noteLeaderContact(ae.from());
    state.resetElectionTimer();
    LogView log = state.log;
    long prev = ae.prevLogIndex();
    List<LogEntry> entries = ae.entries();
    if (prev < log.snapshotIndex()) {
      // Our log is compacted past prevLogIndex: what we compacted is committed, so it matches the leader's
      // log (Leader Completeness). Skip the entries it covers and go on from the compaction point.
      int covered = (int) Math.min(entries.size(), log.snapshotIndex() - prev);
      if (covered == entries.size()) {
        state.sendAfterDurable(ae.from(), new AppendEntriesResponse(
            state.currentTerm, state.selfId, true, prev + entries.size(), 0, 0, ae.seq(), state.replicaId));
        return this;
      }
      entries = entries.subList(covered, entries.size());
      prev = log.snapshotIndex();
      if (!log.matches(prev, ae.entries().get(covered - 1).term())) {
        throw new IllegalStateException(state.selfId + ": the leader's entry at " + prev + " has term "
            + ae.entries().get(covered - 1).term() + " but our snapshot holds term " + log.snapshotTerm()
            + " there: committed entries differ");
      }
    } else if (!log.matches(prev, ae.prevLogTerm())) {
      // Our log has no entry at prevLogIndex with prevLogTerm: reject with a hint to skip a whole term.
      long conflictTerm = prev > log.lastIndex() ? 0 : log.termAt(prev);
      long conflictIndex = prev > log.lastIndex() ? log.lastIndex() + 1 : log.firstIndexOfTermAt(prev);
      state.sendAfterDurable(ae.from(), new AppendEntriesResponse(
          state.currentTerm, state.selfId, false, 0, conflictTerm, conflictIndex, ae.seq(), state.replicaId));
      return this;
    }
    LogView.Merge merge = log.merge(entries);
    if (merge.truncateFrom() != -1) state.truncateFrom(merge.truncateFrom());
    state.append(merge.toAppend());
    long lastNew = prev + entries.size();
    // Only what is known to match the leader's log may commit here.
    state.commitTo(Math.min(ae.leaderCommit(), lastNew), Map.of());
    state.leaderCommitSeen = Math.max(state.leaderCommitSeen, ae.leaderCommit());
    state.sendAfterDurable(ae.from(), new AppendEntriesResponse(
        state.currentTerm, state.selfId, true, lastNew, 0, 0, ae.seq(), state.replicaId));
    return roleForConfiguration();
  }

  @Override
  Behavior<ServerCommand> onHeartbeat(Heartbeat hb) {
    if (hb.term() < state.currentTerm) return super.onHeartbeat(hb);
    state.noteLeaderContact(hb.from());
    state.resetElectionTimer();
    // The leader caps commitIndex at what it knows we hold, so it matches its log.
    state.commitTo(Math.min(hb.commitIndex(), state.log.lastIndex()), Map.of());
    state.sendAfterDurable(hb.from(), new HeartbeatResponse(state.currentTerm, state.selfId, hb.round(), state.replicaId));
    return this;
  }

  /**
   * Leadership transfer (thesis §3.10): our leader brought our log up to date and asks us to take over.
   * Start the election at once, skipping Pre-Vote (the leader itself will vote for us), and mark it as a
   * transfer so that voters who still hear from the leader answer it. The election restriction still
   * holds: if our log is behind after all, we lose.
   */
  @Override
  Behavior<ServerCommand> onTimeoutNow(TimeoutNow t) {
    if (t.term() != state.currentTerm || !t.from().equals(state.leaderId) || !state.config.isVoter(state.selfId)) {
      state.ctx.getLog().debug("{} ignores TimeoutNow from {} of term {}: not from our leader of term {} ({})",
          state.selfId, t.from(), t.term(), state.currentTerm, state.leaderId);
      return this;
    }
    state.ctx.getLog().info("{} of group {} takes over leadership from {} after term {}",
        state.selfId, state.groupId, t.from(), state.currentTerm);
    return become(new Candidate(state, true));
  }

  /**
   * §7, receiver implementation of InstallSnapshot: write the chunks, in order, to a file (a chunk at an
   * unexpected offset is answered with the offset we expect, so the leader resends or resumes), and once
   * the snapshot is whole, make the file durable and replace the log and the state machine by it,
   * answering only when that is durable. Memory holds one chunk at a time, whatever the snapshot's size.
   */
  @Override
  Behavior<ServerCommand> onInstallSnapshot(InstallSnapshot is) {
    if (is.term() < state.currentTerm) return super.onInstallSnapshot(is);
    state.noteLeaderContact(is.from());
    state.resetElectionTimer();
    long index = is.lastIncludedIndex();
    if (index <= state.commitIndex) {
      // We hold everything it covers, committed, hence matching the leader's log up to there.
      state.dropIncoming();
      reply(is, is.totalBytes(), true);
      return this;
    }
    if (is.totalBytes() < 1 || is.offset() < 0 || is.offset() > is.totalBytes() - is.chunk().length
        || is.lastIncludedTerm() < 1) {
      state.ctx.getLog().warn("{} ignores a malformed InstallSnapshot from {}: offset {} + {} bytes of {}",
          state.selfId, is.from(), is.offset(), is.chunk().length, is.totalBytes());
      return this;
    }
    ServerState.IncomingSnapshot in = state.incoming;
    if (in == null || !in.isFor(is.from(), is.term(), index, is.lastIncludedTerm(), is.totalBytes())) {
      if (is.offset() != 0) {
        reply(is, 0, false); // a transfer we know nothing of (restarted, or a newer snapshot): from the start
        return this;
      }
      state.dropIncoming();
      in = new ServerState.IncomingSnapshot(is.from(), is.term(),
          state.snapshots.receive(index, is.lastIncludedTerm(), is.totalBytes()));
      state.incoming = in;
    }
    if (is.offset() != in.file.received()) {
      reply(is, in.file.received(), false); // a lost or duplicated chunk: say where to go on from
      return this;
    }
    in.file.write(is.chunk());
    if (!in.file.isComplete()) {
      reply(is, in.file.received(), false);
      return this;
    }
    state.incoming = null;
    in.file.complete();
    state.ctx.getLog().info("{} of group {} installs the leader's snapshot up to index {} ({} bytes)", state.selfId,
        state.groupId, index, is.totalBytes());
    state.installSnapshot(index, is.lastIncludedTerm(), is.totalBytes(), is.configurationIndex(), is.configuration());
    reply(is, is.totalBytes(), true);
    return roleForConfiguration();
  }

  private void reply(InstallSnapshot is, long nextOffset, boolean installed) {
    state.sendAfterDurable(is.from(), new InstallSnapshotResponse(
        state.currentTerm, state.selfId, is.lastIncludedIndex(), is.offset(), nextOffset, installed, state.replicaId));
  }
}
