package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.rules.Configuration;
import io.pekkoraft.consensus.rules.LogView;
import io.pekkoraft.persistence.LogEntry;
import java.util.List;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Messages a Raft server sends itself (its timers) or receives from its own children (adapted replies of
 * the log and the state machine runner). They never leave the node, and nothing outside this package
 * sends them.
 */
final class Internal {

  private Internal() {}

  /** No leader was heard from (or no election was won) within the randomized election timeout. */
  public enum ElectionTimeout implements ServerCommand, NoSerializationVerificationNeeded {
    INSTANCE
  }

  /** The minimum election timeout passed since the last contact with a leader: its lease on our vote ended. */
  public enum LeaderContactExpired implements ServerCommand, NoSerializationVerificationNeeded {
    INSTANCE
  }

  /** Leader only: time to check that a quorum answered during the last election timeout. */
  public enum CheckQuorum implements ServerCommand, NoSerializationVerificationNeeded {
    INSTANCE
  }

  /**
   * Leader only: push the entries appended since the last push to the replicators. Sent to itself behind
   * the messages already in its mailbox, so that the commands of a burst go out as one batch.
   */
  public enum PushEntries implements ServerCommand, NoSerializationVerificationNeeded {
    INSTANCE
  }

  /** The log actor stored batch {@code batchSeq} durably. */
  public record Persisted(long batchSeq) implements ServerCommand, NoSerializationVerificationNeeded {}

  /**
   * The log actor finished recovery: term, vote, the latest snapshot ({@code snapshotIndex} 0 when there
   * is none; its data, {@code snapshotBytes} long, is in the snapshot file named by index and term) and the
   * log after the compaction point (at most snapshotIndex), with a tail of its entries in memory. The
   * configuration the snapshot carries ({@code configuration}, from the entry at configurationIndex; null
   * with no snapshot, or one taken on the bootstrap configuration) and the configuration entries of the
   * log after the snapshot's index, in index order. {@code replicaId}: this disk's replica id, 0 when the
   * journal holds none yet (a new disk: the server creates it).
   */
  public record Recovered(long currentTerm, String votedFor, long snapshotIndex, long snapshotTerm,
      long snapshotBytes, LogView log, long configurationIndex, Configuration configuration,
      java.util.SortedMap<Long, Configuration> configurationEntries, long replicaId)
      implements ServerCommand, NoSerializationVerificationNeeded {

    /** A log that holds no configuration (the group runs on its bootstrap configuration) on a new disk. */
    public Recovered(long currentTerm, String votedFor, long snapshotIndex, long snapshotTerm, long snapshotBytes,
        LogView log) {
      this(currentTerm, votedFor, snapshotIndex, snapshotTerm, snapshotBytes, log, 0, null, java.util.Collections.emptySortedMap(),
          0);
    }
  }

  /**
   * The state machine runner wrote a snapshot of the state after applying {@code index} (of {@code term})
   * to its file, durably, {@code bytes} long.
   */
  public record SnapshotTaken(long index, long term, long bytes)
      implements ServerCommand, NoSerializationVerificationNeeded {}

  /** Try again to read back committed entries for the state machine (the last read found none). */
  enum RetryApplyRead implements ServerCommand, NoSerializationVerificationNeeded {
    INSTANCE
  }

  /** Committed entries from {@code fromIndex} on, read back from the journal for the state machine. */
  public record EntriesRead(long fromIndex, List<LogEntry> entries)
      implements ServerCommand, NoSerializationVerificationNeeded {}

  /**
   * A replicator needs entries from {@code fromIndex} that it no longer buffers; entries that left the
   * leader's memory are read back from the journal and sent straight to {@code replyTo}.
   */
  public record FetchEntries(String peer, long fromIndex, ActorRef<RaftLog.ReadResult> replyTo)
      implements ServerCommand, NoSerializationVerificationNeeded {}

  /** A leader holding a lease renews it: a heartbeat round, every heartbeat interval. */
  enum LeaseRound implements ServerCommand, NoSerializationVerificationNeeded {
    INSTANCE
  }
}
