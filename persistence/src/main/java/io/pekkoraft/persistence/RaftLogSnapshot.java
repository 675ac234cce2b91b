package io.pekkoraft.persistence;

import io.pekkoraft.persistence.serialization.RaftSerializable;
import java.util.List;

/**
 * The whole durable state of a Raft node at one point of its journal, as saved in a Pekko snapshot store:
 * currentTerm, votedFor, the state machine snapshot that covers the log up to {@code snapshotIndex}
 * ({@code snapshotData}, compressed; empty when {@code snapshotIndex} is 0), and the log entries after
 * {@code compactedIndex} (whose entry has {@code compactedTerm}; compactedIndex is at most snapshotIndex).
 * Recovery starts from the latest one and replays only the events written after it.
 */
public record RaftLogSnapshot(
    long currentTerm, String votedFor, long snapshotIndex, long snapshotTerm, byte[] snapshotData,
    long compactedIndex, long compactedTerm, List<LogEntry> entries) implements RaftSerializable {}
