package io.pekkoraft.consensus.protocol;

import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.serialization.RaftSerializable;
import java.util.List;

/**
 * The RPCs that Raft servers send each other (§5 of the paper, plus Pre-Vote and separate heartbeats).
 * Every message carries the sender's term and stable member id; a receiver that sees a higher term
 * adopts it before anything else (§5.1).
 *
 * <p>The messages whose sender's identity matters (votes and the answers a leader counts) also carry, last,
 * the sender's {@code replicaId}: the random id its disk was given with its first journal write. A
 * receiver whose configuration records another replica id for that member refuses the message before
 * anything else, its term included: the sender lost its disk (and its votes and entries) and answers
 * under a name that is not its own any more. 0 means "not known" and is never refused.
 */
public sealed interface RaftMessage extends ServerCommand, RaftSerializable {

  long term();

  String from();

  /**
   * A candidate asks for a vote (§5.2). With {@code preVote}, it asks whether it would get one in term
   * {@code term} without anyone changing state (thesis §9.6); {@code term} is then the term it would
   * campaign in. {@code transfer} marks an election ordered by the current leader, which voters honour
   * even though they heard from that leader recently.
   */
  record RequestVote(
      long term, String from, long lastLogIndex, long lastLogTerm, boolean preVote, boolean transfer, long replicaId)
      implements RaftMessage {}

  /** The answer to {@link RequestVote}; {@code term} is the voter's term, or the proposed term of a granted pre-vote. */
  record RequestVoteResponse(long term, String from, boolean granted, boolean preVote, long replicaId)
      implements RaftMessage {}

  /**
   * Log replication (§5.3). {@code seq} numbers the leader's batches to this follower so it can match
   * answers to its pipeline window. Heartbeats are a separate message, so they never queue behind these.
   */
  record AppendEntries(
      long term, String from, long prevLogIndex, long prevLogTerm, List<LogEntry> entries, long leaderCommit, long seq)
      implements RaftMessage {}

  /**
   * The answer to {@link AppendEntries}, sent only once what it acknowledges is on stable storage. On
   * success {@code matchIndex} is the last index known to match the leader's log. On a log mismatch
   * {@code conflictTerm} is the term of the follower's entry at prevLogIndex (0 when its log is shorter)
   * and {@code conflictIndex} the first index of that term (or the follower's lastIndex + 1), so the
   * leader skips a whole term per round trip.
   */
  record AppendEntriesResponse(
      long term, String from, boolean success, long matchIndex, long conflictTerm, long conflictIndex, long seq,
      long replicaId)
      implements RaftMessage {}

  /**
   * Leader liveness, commit propagation and ReadIndex confirmation. {@code commitIndex} is capped by the
   * leader at what it knows the follower holds, so no log check is needed. {@code round} identifies the
   * leader's ReadIndex round the heartbeat confirms (0 for none).
   */
  record Heartbeat(long term, String from, long commitIndex, long round) implements RaftMessage {}

  record HeartbeatResponse(long term, String from, long round, long replicaId) implements RaftMessage {}

  /**
   * Leadership transfer (thesis §3.10): the leader orders {@code term}'s follower, whose log it has just
   * brought up to date, to start an election at once, without Pre-Vote and without waiting for its
   * election timeout. The election that follows carries {@link RequestVote#transfer()}, and still obeys
   * the election restriction: a target whose log is behind cannot win.
   */
  record TimeoutNow(long term, String from) implements RaftMessage {}

  /**
   * The leader sends its latest snapshot, covering the log up to {@code lastIncludedIndex} (whose entry
   * has {@code lastIncludedTerm}), to a follower that needs entries the leader has compacted away (§7).
   * The snapshot is {@code totalBytes} long and travels in chunks; this one starts at {@code offset}.
   * Every chunk carries the cluster configuration in effect at lastIncludedIndex (thesis §5.1: "the
   * latest configuration as of lastIncludedIndex"), encoded by {@code ConfigurationCodec}, from the
   * configuration entry at {@code configurationIndex} (empty with index 0: the bootstrap configuration).
   */
  record InstallSnapshot(
      long term, String from, long lastIncludedIndex, long lastIncludedTerm, long totalBytes, long offset, byte[] chunk,
      long configurationIndex, byte[] configuration)
      implements RaftMessage {}

  /**
   * The answer to {@link InstallSnapshot}: {@code installed} once the whole snapshot is durably stored
   * (or the follower already held everything it covers); otherwise {@code nextOffset} is the offset the
   * follower expects next (0 to start over), so a lost chunk is resent and a resumed transfer continues.
   * {@code chunkOffset} is the offset of the chunk it answers, so that the leader acts on the answer to
   * the chunk it has in flight only, and never on a duplicate or a late one.
   */
  record InstallSnapshotResponse(
      long term, String from, long lastIncludedIndex, long chunkOffset, long nextOffset, boolean installed,
      long replicaId)
      implements RaftMessage {}

  /**
   * A follower or learner asks its leader for a read index (FOLLOWER reads): the leader confirms its
   * leadership with a heartbeat round that starts after this request arrived, then answers the commit
   * index it recorded on arrival. {@code id} matches the answer to the request.
   */
  record ReadIndexRequest(long term, String from, long id) implements RaftMessage {}

  /**
   * The leader's answer to {@link ReadIndexRequest} {@code id}: with {@code confirmed}, every read waiting
   * on it may be served once the asker has applied up to {@code readIndex}; without, it is not a leader
   * (any more), and the reads are answered NotLeader.
   */
  record ReadIndexResponse(long term, String from, long id, boolean confirmed, long readIndex) implements RaftMessage {}
}
