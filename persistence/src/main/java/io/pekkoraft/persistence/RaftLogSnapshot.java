package io.pekkoraft.persistence;

import io.pekkoraft.persistence.serialization.RaftSerializable;
import java.util.List;

/**
 * The whole durable state of a Raft node at one point of its journal, as saved in a Pekko snapshot store:
 * currentTerm, votedFor, the state machine snapshot that replaces the log up to {@code snapshotIndex}
 * ({@code snapshotData}, compressed; empty when {@code snapshotIndex} is 0), and the entries after it.
 * Recovery starts from the latest one and replays only the events written after it.
 */
public record RaftLogSnapshot(
    long currentTerm, String votedFor, long snapshotIndex, long snapshotTerm, byte[] snapshotData,
    List<LogEntry> entries) implements RaftSerializable {}
