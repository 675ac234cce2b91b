package io.pekkoraft.consensus.protocol;

import io.pekkoraft.persistence.LogEntry;
import java.util.List;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;

/** Messages a Raft server sends itself or receives from its own children. They never leave the node. */
public final class Internal {

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
   * The log actor finished recovery: term, vote, the latest snapshot ({@code snapshotIndex} 0 and empty
   * data when there is none) and the log entries after {@code compactedIndex} (at most snapshotIndex).
   */
  public record Recovered(long currentTerm, String votedFor, long snapshotIndex, long snapshotTerm,
      byte[] snapshotData, long compactedIndex, long compactedTerm, List<LogEntry> entries)
      implements ServerCommand, NoSerializationVerificationNeeded {}

  /** The state machine runner took a snapshot of the state after applying {@code index} (of {@code term}). */
  public record SnapshotTaken(long index, long term, byte[] data)
      implements ServerCommand, NoSerializationVerificationNeeded {}

  /** A replicator needs entries from {@code fromIndex} that it no longer buffers. */
  public record FetchEntries(String peer, long fromIndex) implements ServerCommand, NoSerializationVerificationNeeded {}
}
